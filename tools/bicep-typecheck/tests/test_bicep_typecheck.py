"""Tests for bicep-typecheck. Run: target/test-venv/bin/python -m pytest -q tools/bicep-typecheck/tests

Invalid fixtures carry their expected findings as comments on the reported line:
    some: 'value' // expect: error <text contained in the message>
Every expectation must be reported on that line, and nothing else may be reported.
"""
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
TOOL_DIR = HERE.parent
SCRIPT = TOOL_DIR / 'bicep_typecheck.py'
LAUNCHER = TOOL_DIR / 'bicep-typecheck'
FIXTURES = HERE / 'fixtures'
VALID = sorted((FIXTURES / 'valid').glob('*.bicep'))
INVALID = sorted((FIXTURES / 'invalid').glob('*.bicep'))
FINDING = re.compile(r'^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): (?P<level>error|warning): (?P<msg>.+?)(?: \(at (?P<at>[^()]+)\))?$')
SUMMARY = re.compile(r'^bicep-typecheck: (\d+) files, (\d+) resources checked, (\d+) unchecked, (\d+) errors, (\d+) warnings$')
def repo_root():
    """The repository root (the tool lives in tools/bicep-typecheck/)."""
    return TOOL_DIR.parents[1]


EXPECT = re.compile(r'expect: (error|warning) (.+?)(?=\s*//\s*expect:|\s*$)')


def run(*args):
    proc = subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], capture_output=True, text=True, timeout=60)
    lines = proc.stdout.splitlines()
    findings = [FINDING.match(line) for line in lines[:-1]]
    assert all(findings), f'malformed output line(s):\n{proc.stdout}'
    summary = SUMMARY.match(lines[-1]) if lines else None
    return proc, findings, summary


def expectations(path):
    out = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        out.extend((number, level, text.strip()) for level, text in EXPECT.findall(line))
    return out


@pytest.mark.parametrize('path', VALID, ids=lambda p: p.name)
def test_valid_fixture_has_no_errors(path):
    proc, findings, summary = run(path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert summary and summary.group(4) == '0'
    # only 'unchecked' warnings are tolerated (type data for some namespaces may be absent)
    assert all(f.group('msg').startswith('unchecked: ') for f in findings), proc.stdout


def test_realistic_file_checks_every_resource():
    proc, findings, summary = run(FIXTURES / 'valid' / 'postgres_monitoring.bicep')
    assert proc.returncode == 0, proc.stdout
    assert all(f.group('msg').startswith('unchecked: Microsoft.Network/virtualNetworks') for f in findings), proc.stdout
    # 14 declarations: vnet+subnet (existing), DNS zone, link, server + 4 children, diagnostics,
    # action group, 2 metric alert declarations, Prometheus rule group
    assert int(summary.group(2)) + int(summary.group(3)) == 14
    assert int(summary.group(2)) >= 12, 'all non-network resources must have type data'


def test_newer_syntax_parses_and_is_still_checked():
    """Syntax the tree-sitter grammar lacks (spread, '!', typed var, resourceInput<>, extension, multi-line
    imports and union types, existing-if, '//' after an escape) gives no syntax errors; checks still run."""
    proc, findings, _ = run(FIXTURES / 'valid' / 'newer_syntax.bicep')
    assert proc.returncode == 0 and findings == [], proc.stdout
    _, findings, _ = run(FIXTURES / 'invalid' / 'newer_syntax.bicep')
    assert not any('syntax' in f.group('msg') for f in findings)
    assert any(f.group('at') == 'server.properties.highAvailability.mode' for f in findings)


@pytest.mark.parametrize('path', INVALID, ids=lambda p: p.name)
def test_invalid_fixture_reports_exactly_the_expected_findings(path):
    expected = expectations(path)
    assert expected, f'{path.name} has no expect: markers'
    proc, findings, summary = run(path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    unmatched = list(findings)
    for line, level, text in expected:
        hit = next((f for f in unmatched if int(f.group('line')) == line and f.group('level') == level
                    and text in f.group('msg')), None)
        assert hit is not None, f'{path.name}:{line}: expected {level} containing {text!r}\n{proc.stdout}'
        unmatched.remove(hit)
    assert unmatched == [], 'unexpected findings:\n' + '\n'.join(f.group(0) for f in unmatched)
    assert int(summary.group(4)) == sum(1 for e in expected if e[1] == 'error')
    assert int(summary.group(5)) == sum(1 for e in expected if e[1] == 'warning')


def test_each_rule_fires():
    """One place that names every rule of the brief and the fixture line proving it."""
    _, findings, _ = run(FIXTURES / 'invalid')
    messages = [f.group('level') + ': ' + f.group('msg') for f in findings]
    rules = {
        'syntax error': r'^error: syntax error',
        'unknown property': r"^error: property 'highAvailabilty' is not allowed",
        'read-only property': r"^error: property 'fullyQualifiedDomainName' is read-only",
        'missing required property': r"^error: missing required property 'criteria'",
        'bad enum (open)': r"^error: value 'ZoneRedundent' is not one of the known values",
        'bad enum (closed)': r"^error: value 'On' is not allowed; expected one of 'Disabled', 'Enabled'",
        'minLength': r'^error: string .* shorter than the minimum length',
        'maxLength': r'^error: string .* longer than the maximum length',
        'pattern': r'^error: value .* does not match the pattern',
        'integer minimum': r'^error: value -1 is less than the minimum 0',
        'wrong literal kind': r'^error: expected a value of type string but got an int',
        'discriminator value': r"^error: value .* is not allowed for 'odata.type'",
        'missing discriminator': r"^error: missing required discriminator property 'criterionType'",
        'case-insensitive property match': r"^warning: property 'storageSizeGb' differs in case",
        'unchecked type': r'^warning: unchecked: Contoso.Widgets/gadgets@2020-01-01$',
    }
    for rule, pattern in rules.items():
        assert any(re.search(pattern, m) for m in messages), f'rule not demonstrated: {rule}'


def test_paths_in_findings():
    _, findings, _ = run(FIXTURES / 'invalid' / 'bad_enum.bicep')
    assert {f.group('at') for f in findings} >= {
        'postgres.properties.highAvailability.mode', 'postgres::threatProtection.properties.state'}


def test_strict_types_turns_unchecked_into_errors():
    path = FIXTURES / 'unknown' / 'unknown_type.bicep'
    proc, findings, summary = run(path)
    assert proc.returncode == 0
    # the `existing` reference has no body to check, so it is not counted as unchecked
    assert summary.groups() == ('1', '0', '1', '0', '1')
    assert [f.group('msg') for f in findings] == ['unchecked: Contoso.Widgets/gadgets@2020-01-01']
    proc, findings, summary = run('--strict-types', path)
    assert proc.returncode == 1 and summary.groups() == ('1', '0', '1', '1', '0')


def test_lenient_enums_downgrades_open_enum_values_only():
    proc, findings, _ = run('--lenient-enums', FIXTURES / 'invalid' / 'bad_enum.bicep')
    by_value = {re.search(r"value '([^']+)'", f.group('msg')).group(1): f.group('level') for f in findings}
    assert by_value == {'ZoneRedundent': 'warning', 'Off': 'warning', 'premium_lrs': 'warning', 'On': 'error'}
    assert proc.returncode == 1


def test_directory_is_searched_recursively(tmp_path):
    nested = tmp_path / 'a' / 'b'
    nested.mkdir(parents=True)
    shutil.copy(FIXTURES / 'invalid' / 'typo_property.bicep', nested / 'x.bicep')
    (tmp_path / 'notes.txt').write_text('not bicep')
    proc, findings, summary = run(tmp_path)
    assert summary.group(1) == '1' and proc.returncode == 1
    assert findings[0].group('file') == str(nested / 'x.bicep')


def test_usage_and_io_problems_exit_2(tmp_path):
    assert run(tmp_path / 'missing.bicep')[0].returncode == 2
    proc = subprocess.run([sys.executable, str(SCRIPT), '--types-root', str(tmp_path / 'nope'), str(VALID[0])],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and 'types root not found' in proc.stderr
    proc = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True)
    assert proc.returncode == 2
    (tmp_path / 'empty').mkdir()
    proc = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path / 'empty')], capture_output=True, text=True)
    assert proc.returncode == 2 and 'no .bicep files' in proc.stderr


def test_custom_types_root(tmp_path):
    """--types-root is honoured: with only the monitor types, PostgreSQL resources become unchecked."""
    found = subprocess.run([str(repo_root() / 'scripts' / 'reference-dir')], capture_output=True, text=True)
    assert found.returncode == 0, found.stderr
    root = Path(found.stdout.strip()) / 'azure-schemas/bicep-types-az/generated'
    shutil.copytree(root / 'monitor_1', tmp_path / 'monitor_1')
    proc, findings, summary = run('--types-root', tmp_path, FIXTURES / 'invalid' / 'wrong_kind.bicep')
    assert summary.groups()[1:3] == ('1', '1')
    assert any(f.group('msg') == 'unchecked: Microsoft.DBforPostgreSQL/flexibleServers@2025-08-01' for f in findings)


def test_crlf_and_bom_files(tmp_path):
    src = (FIXTURES / 'invalid' / 'typo_property.bicep').read_bytes().replace(b'\n', b'\r\n')
    (tmp_path / 'crlf.bicep').write_bytes(b'\xef\xbb\xbf' + src)
    _, findings, _ = run(tmp_path / 'crlf.bicep')
    got = sorted((int(f.group('line')), f.group('level')) for f in findings)
    want = sorted((line, level) for line, level, _ in expectations(FIXTURES / 'invalid' / 'typo_property.bicep'))
    assert got == want


def test_a_dozen_files_in_under_two_seconds(tmp_path):
    files = (VALID + INVALID)
    for i in range(12):
        shutil.copy(files[i % len(files)], tmp_path / f'f{i:02}.bicep')
    start = time.monotonic()
    proc, _, summary = run(tmp_path)
    elapsed = time.monotonic() - start
    assert summary.group(1) == '12'
    assert elapsed < 2.0, f'took {elapsed:.2f}s'


def test_launcher_uses_the_given_venv():
    assert sys.prefix != sys.base_prefix, 'run the tests with the test venv\'s python (scripts/test does)'
    env = dict(os.environ, GEN_TEST_VENV=sys.prefix)
    proc = subprocess.run([str(LAUNCHER), str(FIXTURES / 'valid')], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert SUMMARY.match(proc.stdout.splitlines()[-1])


def test_prepare_keeps_every_offset_and_line():
    """The pre-parse rewrite must never move a byte: positions and literal values come from the original."""
    sys.path.insert(0, str(TOOL_DIR))
    import bicep_typecheck as bt
    for path in VALID + INVALID:
        src = path.read_bytes()
        text, _ = bt.prepare(src)
        assert len(text) == len(src), path.name
        assert [i for i, c in enumerate(text) if c == 10] == [i for i, c in enumerate(src) if c == 10], path.name
    assert bt.decode_string(r"'it\'s ${x}'") is None
    assert bt.decode_string(r"'a\'//\u{41}\n'") == "a'//A\n"
    assert bt.decode_string("'''\nline\n'''") == 'line\n'
