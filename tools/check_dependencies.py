#!/usr/bin/env python3
"""Checks that every target's dependencies in Package.swift are the modules its sources import.

Usage: python3 tools/check_dependencies.py [PACKAGE_DIR]
Prints one line per mismatch and exits 1 if there is any; prints "ok: N targets" and exits 0 otherwise.
A declared dependency whose module no file of the target imports is reported, and so is an imported module of this
package (or of a package product) that the target does not declare. Exceptions are listed in ALLOWED with a reason.
"""
import os
import re
import sys

# (target, dependency) pairs that are declared without an import, each for a reason.
ALLOWED = {
    ("FederationTests", "fedattr"): "the process tests run the built fedattr executable",
}


def enclosed(text, start, opening, closing):
    """The text between the bracket `opening` at `start` and its matching `closing`."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] == opening:
            depth += 1
        elif text[i] == closing:
            depth -= 1
            if depth == 0:
                return text[start + 1:i]
    raise ValueError(f"unbalanced {opening}{closing} in Package.swift")


def targets(package_text):
    """name -> (kind, path, declared module names)."""
    found = {}
    for m in re.finditer(r"\.(target|testTarget|executableTarget|systemLibrary)\(", package_text):
        args = enclosed(package_text, m.end() - 1, "(", ")")
        name = re.search(r'name:\s*"([^"]+)"', args).group(1)
        path = re.search(r'path:\s*"([^"]+)"', args)
        kind = m.group(1)
        default = ("Tests/" if kind == "testTarget" else "Sources/") + name
        deps = set()
        d = re.search(r"dependencies:\s*\[", args)
        if d:
            block = enclosed(args, d.end() - 1, "[", "]")
            for product in re.finditer(r'\.product\(\s*name:\s*"([^"]+)"', block):
                deps.add(product.group(1))
            block = re.sub(r"\.product\([^)]*\)", "", block)
            deps.update(re.findall(r'"([^"]+)"', block))
        found[name] = (kind, path.group(1) if path else default, deps)
    return found


def imports(directory):
    modules = set()
    for root, _, files in os.walk(directory):
        for f in files:
            if not f.endswith(".swift"):
                continue
            in_string = False
            for line in open(os.path.join(root, f), encoding="utf-8"):
                if line.count('"""') % 2 == 1:
                    in_string = not in_string
                    continue
                m = None if in_string else re.match(r"\s*(?:@\w+\s+)*import\s+(?:(?:struct|enum|class|func)\s+)?(\w+)", line)
                if m:
                    modules.add(m.group(1))
    return modules


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
    package = open(os.path.join(root, "Package.swift"), encoding="utf-8").read()
    all_targets = targets(package)
    products = set(re.findall(r'\.product\(\s*name:\s*"([^"]+)"', package))
    known = set(all_targets) | products
    problems = []
    for name, (kind, path, declared) in sorted(all_targets.items()):
        if kind == "systemLibrary" or not os.path.isdir(os.path.join(root, path)):
            continue
        used = imports(os.path.join(root, path)) & known
        for dep in sorted(declared - used):
            if (name, dep) in ALLOWED:
                continue
            # A C module declared for its link settings or headers still has to be imported by some file.
            problems.append(f"{name}: declares {dep} but no file imports it")
        for dep in sorted(used - declared - {name}):
            problems.append(f"{name}: imports {dep} without declaring it")
    for line in problems:
        print(line)
    if problems:
        return 1
    print(f"ok: {len([t for t in all_targets.values() if t[0] != 'systemLibrary'])} targets")
    return 0


if __name__ == "__main__":
    sys.exit(main())
