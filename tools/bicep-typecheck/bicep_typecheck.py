#!/usr/bin/env python3
"""bicep-typecheck: an offline stand-in for the Bicep compiler's type check of resource bodies.

Parses .bicep files with tree-sitter-bicep and checks every resource body against the official
Bicep type data (Azure/bicep-types-az `types.json`). Only literal values are judged; expressions
(parameters, variables, function calls, interpolated strings, ...) are accepted. See README.md.
"""
from __future__ import annotations

import argparse
import difflib
import functools
import json
import re
import subprocess
import sys
from collections import namedtuple
from pathlib import Path

# ObjectTypePropertyFlags and ScopeType bits, as in Azure/bicep-types src/bicep-types/src/types.ts.
REQUIRED, READ_ONLY, WRITE_ONLY = 1, 2, 4
SCOPE_TENANT, SCOPE_EXTENSION = 1, 16
# Top-level properties Bicep accepts on any resource even when the type data lacks them
# (AzResourceTypeProvider.KnownTopLevelResourceProperties); Bicep only warns (BCP187).
FALLBACK_TOP_LEVEL = {'location', 'tags', 'asserts', 'properties', 'sku', 'kind', 'managedby', 'managedbyextended',
                      'extendedlocation', 'zones', 'plan', 'etag', 'scale', 'identity'}
KINDS = {'StringType': {'string'}, 'StringLiteralType': {'string'}, 'IntegerType': {'int'}, 'BooleanType': {'bool'},
         'ObjectType': {'object'}, 'DiscriminatedObjectType': {'object'}, 'ArrayType': {'array', 'for'},
         'NullType': {'null'}}
ALL_KINDS = set().union(*KINDS.values())
KIND_WORDS = {'string': 'a string', 'int': 'an int', 'bool': 'a bool', 'object': 'an object', 'array': 'an array',
              'for': 'an array (for-expression)', 'null': 'null'}
ESCAPES = {'n': '\n', 'r': '\r', 't': '\t', '\\': '\\', "'": "'", '$': '$'}
STRING_PART = re.compile(r"\\u\{([0-9A-Fa-f]{1,6})\}|\\(.)|(\$\{)|[^\\$]+|.", re.S)
COMMENTS = ('comment', 'diagnostic_comment')
WRAPPERS = ('if_statement', 'for_statement', 'parenthesized_expression', 'ternary_expression')
# Lexer tokens for masking comments and string contents before parsing (see prepare()).
CODE_TOKEN = re.compile(rb"//[^\n]*|/\*.*?(?:\*/|\Z)|'''.*?(?:'''|\Z)|['{}]|[^'{}/]+|/", re.S)
STRING_TOKEN = re.compile(rb"\\(?:u\{[0-9A-Fa-f]*\}|.)?|\$\{|['\n]|[^'\\$\n]+|\$", re.S)
# Valid (newer) Bicep syntax that the tree-sitter-bicep 1.1 grammar cannot parse, rewritten before parsing without
# moving any byte: (pattern on the masked source, text put in place of group 1 or else the whole match; b'i' fills).
REWRITES = [(re.compile(rx), repl) for rx, repl in [
    (rb'(?<=[\w)\]])!(?!=)', b''),                                                  # non-null assertion: a.b!
    (rb'(?m)^[ \t]*var[ \t]+\w+([ \t]+[^=\s][^=\n]*?)[ \t]*=', b''),               # typed variable: var x string =
    (rb'resource(?:Input|Output)\s*<[^>\n]*>(?:\.\w+|\[\*?\d*\])*', b'object'),     # resourceInput<'T@v'>.x types
    (rb"(?m)^[ \t]*output[ \t]+\w+[ \t]+(resource[ \t]+'x*')", b'object'),         # resource-typed output
    (rb"(?ms)^[ \t]*import\b.*?'x*'", b''),                                          # imports (multi-line lists)
    (rb'(?m)^[ \t]*(?:extension|provider)\b[^\n{]*(?:\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\}[^\n]*)?', b''),  # extension
    (rb'(?m)^[ \t]*(?:param[ \t]+\w+[ \t]+|type[ \t]+\w+[ \t]*=)[^=\n]*?(\?)[ \t]*$', b''),  # 'T?' at end of line
    (rb'\(\s*(\|)', b''),                                                             # union type with a leading '|'
    (rb'(?<!\|)\|\s*(-?\d+)|(-?\d+)(?=\s*\|(?!\|))', b'i'),                           # int literal type: 1 | 2
    (rb'\bexisting\s*=\s*(if\s*\((?:[^()]|\((?:[^()]|\([^()]*\))*\))*\))', b''),    # existing = if (...) {...}
]]
# The type data is reference data outside the repository: scripts/reference-dir (the project's one resolver of
# GEN_REFERENCE_DIR) says where; the types are below it here.
REFERENCE_DIR_SCRIPT = Path(__file__).resolve().parents[2] / 'scripts' / 'reference-dir'
TYPES_BELOW_REFERENCE = Path('azure-schemas/bicep-types-az/generated')

# Resource-body context: system properties (name -> None if allowed, else an error message); relax_name is
# true for a top-level child declared without 'parent:' (its name is 'parent/child', so only a string is expected).
TopLevel = namedtuple('TopLevel', 'full_type system relax_name')


def q(s):
    return f"'{s}'"


def qlist(values, limit=30):
    values, more = sorted(values), f', ... ({len(values) - limit} more)' if len(values) > limit else ''
    return ', '.join(q(v) for v in values[:limit]) + more


def did_you_mean(word, candidates):
    lowered = {c.lower(): c for c in candidates}
    hit = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.75)
    return f'; did you mean {q(lowered[hit[0]])}?' if hit else ''


def join_path(path, key):
    return f'{path}.{key}' if re.fullmatch(r'[A-Za-z_$][\w$]*', key) else f'{path}[{q(key)}]'


# ----------------------------------------------------------------------------- type data
def link_refs(nodes):
    """Replace every {"$ref": "#/N"} inside the type nodes of one types.json by node N itself."""
    def fix(value):
        if isinstance(value, dict):
            ref = value.get('$ref')
            if len(value) == 1 and isinstance(ref, str) and ref.startswith('#/'):
                return nodes[int(ref[2:])]
            value.update({k: fix(v) for k, v in value.items()})
        elif isinstance(value, list):
            value[:] = [fix(item) for item in value]
        return value
    for node in nodes:
        if isinstance(node, dict):     # fix the node's contents, not the node itself
            node.update({k: fix(v) for k, v in node.items()})


def load_index(root):
    """Scan every types.json under root once: lower-cased 'Type@apiVersion' -> ResourceType node."""
    index = {}
    for path in sorted(root.rglob('types.json')):
        try:
            nodes = json.loads(path.read_text(encoding='utf-8'))
            link_refs(nodes)
        except (OSError, ValueError, IndexError, TypeError) as exc:
            print(f'bicep-typecheck: skipping unreadable type file {path}: {exc}', file=sys.stderr)
            continue
        for node in nodes:
            if isinstance(node, dict) and node.get('$type') == 'ResourceType' and isinstance(node.get('name'), str):
                index.setdefault(node['name'].lower(), node)
    return index


def tkind(t):
    return t.get('$type') if isinstance(t, dict) else None


def union_members(t):
    for e in t.get('elements', []):
        yield from (union_members(e) if tkind(e) == 'UnionType' else [e])


def accepts(t):
    """Literal kinds a type accepts; AnyType and anything unknown accept everything."""
    if tkind(t) == 'UnionType':
        return set().union(*(accepts(e) for e in union_members(t)))
    return KINDS.get(tkind(t), ALL_KINDS)


def describe(t):
    k = tkind(t)
    if k == 'StringLiteralType':
        return q(t.get('value'))
    if k == 'UnionType':
        return ' | '.join(describe(e) for e in union_members(t))
    if k == 'ArrayType':
        return describe(t.get('itemType')) + '[]'
    if k in ('ObjectType', 'DiscriminatedObjectType'):
        return t.get('name') or 'object'
    return {'StringType': 'string', 'IntegerType': 'int', 'BooleanType': 'bool', 'NullType': 'null'}.get(k, 'any')


# ----------------------------------------------------------------------------- source preparation
def blank(chunk, fill=b' ', head=b''):
    """chunk with every byte but newlines replaced by fill, starting with head (offsets and lines are kept)."""
    out = bytearray(re.sub(rb'[^\n]', fill, chunk))
    out[:len(head)] = head
    return bytes(out)


def prepare(src):
    """(text for the parser, start offsets of spreads). Comments are blanked and string contents masked with 'x'
    (code in ${...} is kept), so the grammar's string/comment quirks cannot bite and REWRITES never match inside
    them; literal values are read from the original bytes at the same offsets."""
    out, pos, in_string, interp = bytearray(src), 0, False, []     # interp: '{' depth per open ${...}
    while pos < len(src):
        m = (STRING_TOKEN if in_string else CODE_TOKEN).match(src, pos)
        tok, a, pos = m.group(), m.start(), m.end()
        if in_string:
            interp += [0] if tok == b'${' else []
            in_string = tok not in (b"'", b'\n', b'${')
            out[a:pos] = blank(tok, b'x') if in_string else tok
        elif tok.startswith(b'//') or tok.startswith(b'/*') and tok.endswith(b'*/'):   # unterminated: left for
            out[a:pos] = blank(tok)                                                  # the parser to report
        elif tok.startswith(b"'''"):
            out[a + 3:pos - 3] = blank(tok[3:-3], b'x')
        elif tok == b"'" or (tok == b'}' and interp and interp[-1] == 0):
            in_string = True                       # a string starts, or an interpolation ends
            interp = interp[:-1] if tok == b'}' else interp
        elif tok in (b'{', b'}') and interp:
            interp[-1] += 1 if tok == b'{' else -1
    for rx, repl in REWRITES:
        for m in rx.finditer(bytes(out)):
            a, b = m.span(m.lastindex) if m.lastindex else m.span()
            out[a:b] = b'i' * (b - a) if repl == b'i' else blank(out[a:b], head=repl)
    spreads = set()
    for m in re.finditer(rb'\.\.\.', bytes(out)):   # spread: '...x' becomes '_: x' in objects, '   x' in arrays
        depth, i = 0, m.start()
        while i > 0 and (depth or out[i - 1] not in b'{['):
            i -= 1
            depth += (out[i] in b')]}') - (out[i] in b'([{')
        in_object = i > 0 and out[i - 1] == ord('{')
        out[m.start():m.end()] = b'_: ' if in_object else b'   '
        spreads.add(m.start() if in_object else m.end())
    return bytes(out), spreads


def decode_string(raw):
    """Value of a Bicep string literal given its source text; None when it is interpolated."""
    if raw.startswith("'''"):                    # multi-line: verbatim, without the first newline
        body = raw[3:-3]
        return body[2:] if body.startswith('\r\n') else body[1:] if body.startswith('\n') else body
    parts = []
    for m in STRING_PART.finditer(raw[1:-1]):
        if m.group(3):
            return None
        parts.append(chr(int(m.group(1), 16)) if m.group(1) else
                     ESCAPES.get(m.group(2), m.group(2)) if m.group(2) is not None else m.group())
    return ''.join(parts)


# ----------------------------------------------------------------------------- syntax tree helpers
def unwrap(node):
    while node is not None and node.type == 'parenthesized_expression':
        node = next((c for c in node.named_children if c.type not in COMMENTS), None)
    return node


def nested_resources(obj):
    return [k for p in (obj.named_children if obj is not None else []) if p.type == 'object_property'
            for k in p.named_children[:1] if k.type == 'resource_declaration']


def body_object(value):
    """The object literal of a resource value: {...}, if (...) {...}, [for ...: {...}], [for ...: if (...) {...}]."""
    if value is not None and value.type == 'for_statement':
        value = value.child_by_field_name('body')
    if value is not None and value.type == 'if_statement':
        value = value.named_children[-1] if value.named_children else None
    return value if value is not None and value.type == 'object' else None


def anchor_of(obj):
    """Where to report a missing property: the key (or resource symbol) that owns the object."""
    par = obj.parent
    while par is not None and par.type in WRAPPERS:
        par = par.parent
    if par is not None and par.type in ('object_property', 'resource_declaration'):
        return next((k for k in par.named_children if k.type not in COMMENTS), obj)
    return obj


# ----------------------------------------------------------------------------- checker
class FileCheck:
    def __init__(self, src, spreads, index, opts):
        self.src, self.spreads, self.index, self.opts = src, spreads, index, opts
        self.lines, self.findings, self.syntax_rows = src.split(b'\n'), [], set()
        self.checked = self.unchecked = 0

    def add(self, level, node, msg, at=None):
        row, col = node.start_point          # tree-sitter columns count bytes; report characters
        line = self.lines[row] if row < len(self.lines) else b''
        self.findings.append((row + 1, len(line[:col].decode('utf-8', 'replace')) + 1, level, msg, at))

    error, warn = functools.partialmethod(add, 'error'), functools.partialmethod(add, 'warning')

    def raw(self, node):
        return self.src[node.start_byte:node.end_byte].decode('utf-8', 'replace')

    def literal(self, node):
        """(kind, value) of a literal node; (None, None) for any expression that is not a literal."""
        t = node.type if node is not None else None
        if t == 'string':
            v = decode_string(self.raw(node))
            return ('string', v) if v is not None else (None, None)
        if t == 'number' and re.fullmatch(rb'-?\d+', node.text):
            return 'int', int(node.text)
        if t == 'boolean':
            return 'bool', node.text == b'true'
        if t in ('null', 'object', 'array'):
            return t, None
        return ('for', None) if t == 'for_statement' else (None, None)

    def entries(self, obj):
        """(key, key_node, value_node) per object property; key None when unknown (interpolated, or a spread)."""
        out = []
        for prop in obj.named_children:
            kids = [k for k in prop.named_children if k.type not in COMMENTS] if prop.type == 'object_property' else []
            if len(kids) < 2 or kids[0].type == 'resource_declaration':
                continue
            key = (kids[0].text.decode() if kids[0].type in ('identifier', 'compatible_identifier') else
                   decode_string(self.raw(kids[0])) if kids[0].type == 'string' else None)
            out.append((None if kids[0].start_byte in self.spreads else key, kids[0], kids[-1]))
        return out

    def syntax(self, node):
        """Report ERROR and MISSING nodes, once per line."""
        if node.type == 'ERROR' or node.is_missing:
            if node.start_point[0] not in self.syntax_rows:
                self.syntax_rows.add(node.start_point[0])
                text = self.raw(node).strip().split('\n')[0][:40]
                first, last = node.start_point[0] + 1, node.end_point[0] + 1
                self.error(node, f'syntax error: missing {q(node.type)}' if node.is_missing else
                           f'syntax error: cannot parse lines {first}-{last} (starting {q(text)})' if last > first else
                           f'syntax error: unexpected {q(text)}' if text else 'syntax error')
        elif node.has_error:
            for child in node.children:
                self.syntax(child)

    # -- resources ---------------------------------------------------------------------------
    def run(self, root):
        self.syntax(root)
        for decl in root.named_children:
            if decl.type == 'resource_declaration':
                self.resource(decl, None)

    def resolve_type(self, tnode, parent, label):
        """(full type, api version) of a declaration, or None; parent = (label, type, version) when nested."""
        text = decode_string(self.raw(tnode)) if tnode is not None else None
        if text is None:
            return None
        if parent is not None:          # nested: one type segment; the api version defaults to the parent's
            segment, _, version = text.partition('@')
            if segment and '/' not in segment:
                return f'{parent[1]}/{segment}', version or parent[2]
            self.error(tnode, f'invalid nested resource type {q(text)}: a nested resource must use a single type '
                              f"segment, optionally with '@<apiVersion>' (BCP156)", label)
            return None
        full, at, version = text.partition('@')
        if at and version and '/' in full:
            return full, version
        self.error(tnode, f"invalid resource type {q(text)}: expected '<namespace>/<type>@<apiVersion>'", label)
        return None

    def resource(self, decl, parent):
        kids = [k for k in decl.named_children if k.type not in COMMENTS]
        sym = next((k.text.decode() for k in kids if k.type == 'identifier'), '?')
        tnode = next((k for k in kids if k.type == 'string'), None)
        existing = any(c.type == 'existing' for c in decl.children)
        body = body_object(kids[-1] if kids else None)
        label = f'{parent[0]}::{sym}' if parent else sym
        resolved = self.resolve_type(tnode, parent, label)
        if resolved is None:
            return
        full, version = resolved
        rtype = self.index.get(f'{full}@{version}'.lower())
        if rtype is None and existing:
            pass                                   # a reference to an existing resource has no body to check
        elif rtype is None:
            self.unchecked += 1
            self.add('error' if self.opts.strict_types else 'warning', tnode, f'unchecked: {full}@{version}', label)
        else:
            self.checked += 1
        if body is not None and rtype is not None and not existing:
            self.check_resource_body(body, rtype, full, parent, label)
        elif body is not None and (rtype or re.fullmatch(r'\d{4}-\d{2}-\d{2}(-\w+)?', version)):
            self.require_name(body, label)     # `existing` bodies only identify the resource; non-ARM types (Graph,
                                               # Kubernetes: api versions like 'v1.0') need no 'name'
        for child in nested_resources(body):
            self.resource(child, (label, full, version))

    def require_name(self, body, label):
        if not body.has_error and not any(k is not None and k.lower() == 'name' for k, _, _ in self.entries(body)):
            self.error(anchor_of(body), "missing required property 'name'", f'{label}.name')

    def check_resource_body(self, body, rtype, full, parent, label):
        writable = rtype.get('writableScopes', rtype.get('scopeType', 0))
        is_child, system = full.count('/') >= 2, {'dependsOn': None, 'scope': None, 'parent': None}
        if writable and not writable & (SCOPE_EXTENSION | SCOPE_TENANT):
            system['scope'] = (f"'scope' is only allowed on extension or tenant resources; {q(full)} is not one "
                               f"(use a module to deploy to another scope)")
        if parent is not None:
            system['parent'] = "'parent' is not allowed on a nested resource; its parent is the enclosing resource"
        elif not is_child:
            system['parent'] = f"'parent' is only allowed on child resource types; {q(full)} is a top-level type"
        has_parent = any(k is not None and k.lower() == 'parent' for k, _, _ in self.entries(body))
        relax_name = is_child and parent is None and not has_parent
        self.check_value(body, rtype.get('body'), label, top=TopLevel(full, system, relax_name))

    # -- values ------------------------------------------------------------------------------
    def check_value(self, node, t, path, required=False, top=None):
        node = unwrap(node)
        if node is None or not isinstance(t, dict):
            return
        if node.type == 'ternary_expression':      # both branches must fit
            for field in ('consequence', 'alternative'):
                self.check_value(node.child_by_field_name(field), t, path, required)
            return
        kind, val = self.literal(node)
        k = tkind(t)
        if kind is None or k == 'AnyType':
            return                                 # expressions are accepted
        if kind == 'null':
            if required:
                self.error(node, f'required property cannot be null (expected {describe(t)})', path)
        elif kind not in accepts(t):
            self.error(node, f'expected a value of type {describe(t)} but got {KIND_WORDS[kind]}', path)
        elif k == 'UnionType':
            self.check_union(node, kind, val, t, path)
        elif k == 'StringLiteralType' and val != t.get('value'):
            self.check_enum(node, val, [t.get('value')], None, path)
        elif k == 'StringType':
            self.check_string(node, val, t, path)
        elif k == 'IntegerType' and val < t.get('minValue', val):
            self.error(node, f'value {val} is less than the minimum {t["minValue"]}', path)
        elif k == 'IntegerType' and val > t.get('maxValue', val):
            self.error(node, f'value {val} is greater than the maximum {t["maxValue"]}', path)
        elif k in ('ObjectType', 'DiscriminatedObjectType'):
            self.check_object(node, t, path, top)
        elif k == 'ArrayType':
            self.check_array(node, kind, t, path)

    def check_union(self, node, kind, val, t, path):
        members = [m for m in union_members(t) if kind in accepts(m)]
        if kind == 'string' and all(tkind(m) in ('StringLiteralType', 'StringType') for m in members):
            values = [m.get('value') for m in members if tkind(m) == 'StringLiteralType']
            strings = [m for m in members if tkind(m) == 'StringType']
            if values and val not in values:
                self.check_enum(node, val, values, strings[0] if strings else None, path)
            elif not values and len(strings) == 1:
                self.check_string(node, val, strings[0], path)
        elif len(members) == 1:                    # several candidates (rare): accepted without guessing
            self.check_value(node, members[0], path)

    def check_enum(self, node, val, values, open_string, path):
        """val is not one of values; open_string is the StringType of an open enum ('A' | 'B' | string)."""
        same = next((v for v in values if isinstance(v, str) and v.lower() == val.lower()), None)
        if same is not None:
            self.warn(node, f'value {q(val)} differs in case from the allowed value {q(same)}', path)
        elif open_string is None:
            self.error(node, f'value {q(val)} is not allowed; expected one of {qlist(values)}'
                             f'{did_you_mean(val, values)}', path)
        else:
            lenient = self.opts.lenient_enums
            self.add('warning' if lenient else 'error', node,
                     f'value {q(val)} is not one of the known values {qlist(values)}{did_you_mean(val, values)} '
                     f'(open enum: the type data also accepts other strings'
                     f'{"" if lenient else "; --lenient-enums makes this a warning"})', path)
            self.check_string(node, val, open_string, path)

    def check_string(self, node, val, t, path):
        if len(val) < t.get('minLength', 0):
            self.error(node, f'string {q(val)} is shorter than the minimum length {t["minLength"]}', path)
        if len(val) > t.get('maxLength', len(val)):
            self.error(node, f'string of length {len(val)} is longer than the maximum length {t["maxLength"]}', path)
        try:
            mismatch = bool(t.get('pattern')) and not re.search(t['pattern'], val)
        except re.error:                           # .NET/ECMAScript-only regex syntax: cannot be checked here
            mismatch = False
        if mismatch:
            self.error(node, f'value {q(val)} does not match the pattern {q(t["pattern"])}', path)

    def check_array(self, node, kind, t, path):
        item = t.get('itemType')
        if kind == 'for':
            self.check_value(node.child_by_field_name('body'), item, f'{path}[*]')
            return
        items = [c for c in node.named_children if c.type not in COMMENTS and c.type != 'ERROR']
        spread = any(c.start_byte in self.spreads for c in items)
        n = -1 if node.has_error or spread else len(items)   # -1: the count is unknown
        if 0 <= n < t.get('minLength', 0):
            self.error(node, f'array has {n} items; at least {t["minLength"]} required', path)
        if n > t.get('maxLength', n):
            self.error(node, f'array has {n} items; at most {t["maxLength"]} allowed', path)
        for i, child in enumerate(items):
            if child.start_byte not in self.spreads:
                self.check_value(child, item, f'{path}[{i}]')

    def check_object(self, obj, t, path, top=None):
        items = self.entries(obj)
        if tkind(t) == 'DiscriminatedObjectType':
            props, extra, name, open_ = self.pick_element(obj, items, t, path, top)
        else:
            props, extra, name, open_ = t.get('properties') or {}, t.get('additionalProperties'), t.get('name'), False
        by_lower = {k.lower(): k for k in props}
        seen, hidden = set(), obj.has_error        # syntax errors may hide properties from us
        for key, key_node, value in items:
            if key is None:
                hidden = True                      # interpolated key or spread: cannot tell what it sets
                continue
            kpath, kl = join_path(path, key), key.lower()
            if kl in seen:
                self.error(key_node, f'property {q(key)} is declared more than once', kpath)
                continue
            seen.add(kl)
            if top is not None and self.top_level_property(key, key_node, value, kpath, top):
                continue
            canon = key if key in props else by_lower.get(kl)
            if canon is None:
                if extra is not None:
                    self.check_value(value, extra, kpath)
                elif top is not None and kl in FALLBACK_TOP_LEVEL:
                    self.warn(key_node, f'property {q(key)} is not in the type data for {q(top.full_type)}; Bicep '
                                        f'accepts it with a warning (BCP187)', kpath)
                elif not open_:
                    self.unknown_property(key, key_node, props, name, kpath)
                continue
            if canon != key:
                self.warn(key_node, f'property {q(key)} differs in case from {q(canon)}', kpath)
            flags = props[canon].get('flags', 0)
            if flags & READ_ONLY and not flags & WRITE_ONLY:
                self.error(key_node, f'property {q(canon)} is read-only and cannot be set', kpath)
            else:
                self.check_value(value, props[canon].get('type'), kpath, required=bool(flags & REQUIRED))
        for pname, prop in sorted(props.items()) if not (open_ or hidden) else []:
            flags = prop.get('flags', 0)
            if flags & REQUIRED and not flags & READ_ONLY and pname.lower() not in seen:
                self.error(anchor_of(obj), f'missing required property {q(pname)}', join_path(path, pname))

    def top_level_property(self, key, key_node, value, kpath, top):
        """Bicep system properties and the unconstrained child 'name'; True when the key was handled here."""
        system = next((s for s in top.system if s.lower() == key.lower()), None)
        if system is not None:
            if top.system[system]:
                self.error(key_node, top.system[system], kpath)
            elif system != key:
                self.warn(key_node, f'property {q(key)} differs in case from {q(system)}', kpath)
            return True
        if key.lower() == 'name' and top.relax_name:
            kind, _ = self.literal(unwrap(value))
            if kind not in (None, 'string'):
                self.error(value, f'expected a value of type string but got {KIND_WORDS[kind]}', kpath)
            return True
        return False

    def unknown_property(self, key, key_node, props, type_name, kpath):
        settable = sorted(k for k, p in props.items() if p.get('flags', 0) & (READ_ONLY | WRITE_ONLY) != READ_ONLY)
        hint = did_you_mean(key, settable) or (f'; allowed: {", ".join(settable[:25])}{", ..." * (len(settable) > 25)}'
                                               if settable else '; no properties are allowed')
        self.error(key_node, f'property {q(key)} is not allowed{f" on {type_name}" if type_name else ""}{hint}', kpath)

    def pick_element(self, obj, items, t, path, top):
        """Select the DiscriminatedObjectType element: (properties, additionalProperties, type name, open)."""
        disc, base, elements = t.get('discriminator', ''), t.get('baseProperties') or {}, t.get('elements') or {}
        hit = next(((k, v) for k, _, v in items if k is not None and k.lower() == disc.lower()), None)
        dpath, unknown = join_path(path, disc), (base, None, t.get('name'), True)   # element unknown: base only
        if top is not None and top.relax_name and disc.lower() == 'name':
            return unknown                         # 'parent/child' names cannot select an element
        if hit is None:
            if not obj.has_error:
                self.error(anchor_of(obj), f'missing required discriminator property {q(disc)} (one of '
                                           f'{qlist(elements)})', dpath)
            return unknown
        kind, val = self.literal(unwrap(hit[1]))
        if kind == 'string':
            element = elements.get(val) or next((e for v, e in elements.items() if v.lower() == val.lower()), None)
            if element is not None:
                merged = {**base, **(element.get('properties') or {})}
                return merged, element.get('additionalProperties'), element.get('name') or t.get('name'), False
            self.error(hit[1], f'value {q(val)} is not allowed for {q(disc)}; expected one of {qlist(elements)}'
                               f'{did_you_mean(val, elements)}', dpath)
        elif kind is not None:
            self.error(hit[1], f'expected a value of type string but got {KIND_WORDS[kind]}', dpath)
        return unknown


# ----------------------------------------------------------------------------- command line
def usage_error(msg):
    print(f'bicep-typecheck: {msg}', file=sys.stderr)
    return 2


def main(argv=None):
    ap = argparse.ArgumentParser(prog='bicep-typecheck', description=__doc__.split('\n')[0])
    ap.add_argument('paths', nargs='+', metavar='FILE_OR_DIR', help='.bicep files, or directories searched recursively')
    ap.add_argument('--types-root', type=Path, help='bicep-types-az generated/ directory (default: '
                    f'{TYPES_BELOW_REFERENCE} in the reference data folder that scripts/reference-dir names)')
    ap.add_argument('--strict-types', action='store_true', help='report resource types without type data as errors')
    ap.add_argument('--lenient-enums', action='store_true', help="unknown values of open enums ('A' | 'B' | string) "
                                                                 "are warnings instead of errors")
    args = ap.parse_args(argv)
    try:
        import tree_sitter_bicep
        from tree_sitter import Language, Parser
    except ImportError as exc:
        return usage_error(f'missing Python package ({exc}); run it with the test venv python (scripts/install-test-deps.sh installs it)')
    if args.types_root is None:
        found = subprocess.run([str(REFERENCE_DIR_SCRIPT)], capture_output=True, text=True)
        if found.returncode != 0:
            return usage_error(found.stderr.strip() or f'{REFERENCE_DIR_SCRIPT} failed')
        args.types_root = Path(found.stdout.strip()) / TYPES_BELOW_REFERENCE
    if not args.types_root.is_dir():
        return usage_error(f'types root not found: {args.types_root}')
    files = []
    for p in map(Path, args.paths):
        if not p.exists():
            return usage_error(f'no such file or directory: {p}')
        files += sorted(f for f in p.rglob('*.bicep') if f.is_file()) if p.is_dir() else [p]
    index = load_index(args.types_root.resolve()) if files else None
    if not index:
        return usage_error('no .bicep files found' if not files else f'no resource types under {args.types_root}')
    parser = Parser(Language(tree_sitter_bicep.language()))
    n_files = checked = unchecked = errors = warnings = 0
    io_problem = False
    for path in files:
        try:
            src = path.read_bytes().removeprefix(b'\xef\xbb\xbf')   # tolerate a UTF-8 byte-order mark
        except OSError as exc:
            print(f'{path}: cannot read: {exc}', file=sys.stderr)
            io_problem = True
            continue
        text, spreads = prepare(src)
        fc = FileCheck(src, spreads, index, args)
        fc.run(parser.parse(text).root_node)
        n_files, checked, unchecked = n_files + 1, checked + fc.checked, unchecked + fc.unchecked
        for line, col, level, msg, at in sorted(fc.findings, key=lambda f: f[:2]):
            print(f'{path}:{line}:{col}: {level}: {msg}' + (f' (at {at})' if at else ''))
            errors, warnings = errors + (level == 'error'), warnings + (level == 'warning')
    print(f'bicep-typecheck: {n_files} files, {checked} resources checked, {unchecked} unchecked, '
          f'{errors} errors, {warnings} warnings')
    return 2 if io_problem else (1 if errors else 0)


if __name__ == '__main__':
    sys.setrecursionlimit(10000)
    sys.exit(main())
