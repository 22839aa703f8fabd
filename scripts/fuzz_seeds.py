"""Writes fuzz seeds: the example inputs as one file in the fuzz target's format (a path
line, the contents, `\\n%%\\n` between files), and the same with each bad-input corpus
case's text edits applied. Usage: fuzz_seeds.py INPUTS CORPUS_DIR OUT_DIR"""
import pathlib
import sys

import yaml

SEPARATOR = b"\n%%\n"


def tree(inputs):
    files = {}
    for path in sorted(inputs.rglob("*")):
        if path.is_file():
            files[path.relative_to(inputs).as_posix()] = path.read_bytes()
    return files


def serialize(files):
    return SEPARATOR.join(name.encode() + b"\n" + data for name, data in files.items())


def main(inputs, corpus, out):
    inputs, corpus, out = pathlib.Path(inputs), pathlib.Path(corpus), pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    example = tree(inputs)
    (out / "example").write_bytes(serialize(example))
    for case in sorted(corpus.glob("*.yaml")):
        files = dict(example)
        for edit in yaml.safe_load(case.read_text())["edits"]:
            name = edit["file"]
            if "replace" in edit and name in files:
                files[name] = files[name].replace(edit["replace"].encode(), edit["with"].encode(), 1)
            elif "content" in edit:
                files[name] = edit["content"].encode()
            elif edit.get("remove"):
                files.pop(name, None)
        (out / case.stem).write_bytes(serialize(files))


if __name__ == "__main__":
    main(*sys.argv[1:4])
