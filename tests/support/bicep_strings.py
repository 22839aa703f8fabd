"""Reads a Bicep file of `var NAME = '...'` lines with tree-sitter-bicep and prints, as JSON,
each variable's name, its string value decoded by Bicep's escape rules, how many
interpolations the string holds, and whether the file has syntax errors. Used by
tests/escaping.rs to prove the `bicep` filter round-trips any text."""
import json
import re
import sys

import tree_sitter_bicep
from tree_sitter import Language, Parser

ESCAPES = {"\\": "\\", "'": "'", "n": "\n", "r": "\r", "t": "\t", "$": "$"}
TOKEN = re.compile(r"\\u\{([0-9A-Fa-f]+)\}|\\(.)|(\$\{)|(.)", re.S)


def decode(inner):
    """Decodes the text between a Bicep string's quotes by the language's rules: escapes
    `\\ \\' \\n \\r \\t \\$ \\u{X}`, and an unescaped `${` opens an interpolation. The
    boundaries of the string come from tree-sitter; its child nodes are not used because
    the grammar drops some escapes (`\\$`) and reads `//` inside strings as comments."""
    value, interpolations = [], 0
    for unicode, escaped, interpolation, plain in TOKEN.findall(inner):
        if unicode:
            value.append(chr(int(unicode, 16)))
        elif escaped:
            value.append(ESCAPES[escaped])
        elif interpolation:
            interpolations += 1
            value.append("${")
        else:
            value.append(plain)
    return "".join(value), interpolations


def main(path):
    source = open(path, "rb").read()
    tree = Parser(Language(tree_sitter_bicep.language())).parse(source)
    out = {"errors": tree.root_node.has_error, "variables": []}
    for declaration in tree.root_node.children:
        if declaration.type != "variable_declaration":
            out["errors"] = True
            continue
        name = declaration.child_by_field_name("name") or declaration.children[1]
        strings = [c for c in declaration.children if c.type == "string"]
        if len(strings) != 1:
            out["errors"] = True
            out.setdefault("broken", []).append(source[declaration.start_byte:declaration.end_byte].decode("utf-8", "replace"))
            continue
        string = strings[0]
        inner = source[string.start_byte + 1:string.end_byte - 1].decode("utf-8")
        value, interpolations = decode(inner)
        out["variables"].append({
            "name": source[name.start_byte:name.end_byte].decode(),
            "interpolations": interpolations,
            "value": value,
        })
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
