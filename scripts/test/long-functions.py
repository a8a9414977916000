#!/usr/bin/env python3
"""Lists the C++ functions whose body runs over a number of lines (60 by
default), longest first, as `path:line: name: N lines`.

    scripts/test/long-functions.py [--max 60] [--all] [paths ...]

Paths default to the repository's sources outside tests/ and build folders.
A function that states why it is long passes: a comment with "long:" in the
lines just above it ("// long: one table of the options, in their order").
Exit status 1 when any other function is over the limit, so a check can run
it. A reading of braces, not a parser: comments, strings, characters and raw
strings are blanked first, and a body is a brace block opened at namespace
or class scope after a closing parenthesis (a lambda counts towards the
function it sits in)."""

import argparse
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = (".cpp", ".hpp", ".cu", ".cuh")
SKIPPED = ("tests/", "build")
LITERAL = re.compile(r'^[ \t]*#(?:\\\n|[^\n])*|R"([^()\\ ]{0,16})\((?:.|\n)*?\)\1"|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|//[^\n]*|/\*(?:.|\n)*?\*/', re.M)
SCOPE = re.compile(r"^(extern\b|(inline\s+)?namespace\b|(class|struct|union|enum)\b)")
TEMPLATE = re.compile(r"^template\s*<")
AFTER_CALL_SCOPE = re.compile(r"\)[^()]*\b(namespace|class|struct|union|enum)\b[^()]*$")
KEYWORDS = {"if", "for", "while", "switch", "catch", "return", "sizeof", "decltype", "alignof", "noexcept"}


def blank(text):
    """`text` with every comment, literal and preprocessor line turned into
    spaces (newlines kept)."""
    return LITERAL.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


def without_template(header):
    """`header` without a leading template<...> parameter list."""
    while TEMPLATE.match(header):
        depth = 0
        for at, c in enumerate(header):
            depth += (c == "<") - (c == ">")
            if c == ">" and depth == 0:
                header = header[at + 1 :].lstrip()
                break
        else:
            return header
    return header


def function_name(header):
    """The name a function header declares (the word before its first
    parameter list), or None when `header` is no function's."""
    header = without_template(header)
    # A scope's keyword after the last ")": a namespace or class after a
    # macro call that ends without ";" (NLOHMANN_DEFINE_TYPE_...(...)).
    if SCOPE.match(header) or "(" not in header or AFTER_CALL_SCOPE.search(header):
        return None
    found = re.search(r"([~\w]+(?:::[~\w]+)*|operator\s*\S+?)\s*$", header[: header.index("(")])
    if not found or found.group(1) in KEYWORDS:
        return None
    return found.group(1)


def long_functions(path, limit):
    """(body lines, name, 1-based line, says why) of each function over `limit`."""
    text = path.read_text(errors="replace")
    code = blank(text)
    lines = text.split("\n")
    results = []
    scopes = []  # one per open brace: (kind, where, name); kind: scope, body or inner
    header_start = 0
    for at, c in enumerate(code):
        if c == "{":
            header = code[header_start:at].strip()
            if any(kind != "scope" for kind, _, _ in scopes):
                scopes.append(("inner", at, None))
            elif function_name(header):
                scopes.append(("body", at, function_name(header)))
            elif SCOPE.match(without_template(header)) or AFTER_CALL_SCOPE.search(header):
                scopes.append(("scope", at, None))
            else:
                scopes.append(("inner", at, None))
            header_start = at + 1
        elif c in ";}":
            if c == "}" and scopes:
                kind, opened, name = scopes.pop()
                length = code.count("\n", opened, at) - 1
                if kind == "body" and length > limit:
                    first = code.count("\n", 0, opened)
                    line = next((back for back in range(first, max(first - 8, -1), -1)
                                 if name.split("::")[-1] in lines[back]), first)
                    above = "\n".join(lines[max(0, line - 10) : line])
                    results.append((length, name, line + 1, "long:" in above))
            header_start = at + 1
    return results


def default_paths():
    listed = subprocess.run(["git", "-C", str(ROOT), "ls-files"], capture_output=True, text=True, check=True).stdout
    return [ROOT / p for p in listed.split() if p.endswith(SOURCES) and not p.startswith(SKIPPED)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--max", type=int, default=60, help="lines a body may hold (default 60)")
    parser.add_argument("--all", action="store_true", help="also list the functions that state why they are long")
    parser.add_argument("paths", nargs="*", type=Path)
    args = parser.parse_args()
    rows = []
    for path in args.paths or default_paths():
        for length, name, line, explained in long_functions(path, args.max):
            rows.append((length, str(path.resolve().relative_to(ROOT)), line, name, explained))
    rows.sort(key=lambda r: (-r[0], r[1]))
    unexplained = 0
    for length, path, line, name, explained in rows:
        if explained and not args.all:
            continue
        unexplained += not explained
        print(f"{path}:{line}: {name}: {length} lines" + (" (says why)" if explained else ""))
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
