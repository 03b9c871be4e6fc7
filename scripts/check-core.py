#!/usr/bin/env python3
"""Checks the core's shape: no import circle between its modules, and each table's SQL in its owner.

A circle means two modules each need the other to be understood; a table queried from several
modules means a rule about it can be changed in one place and missed in another. Both are
measured over the source, so the check fails the test command the day either comes back.
"""
import pathlib
import re
import sys

SRC = pathlib.Path(__file__).resolve().parent.parent / "src-tauri" / "core" / "src"

# Each table and the one module that may name it in SQL (migrations aside).
OWNERS = {
    "referral": "referral",
    "consent": "consent",
    "package": "sealed",
    "outbox": "outbox",
    "smtp_settings": "outbox",
    "oauth_grant": "outbox",
    "agreement": "agreement",
    "agreement_version": "agreement",
    "ledger": "ledger",
    "event": "ledger",
    "ledger_head": "ledger",
    "ledger_tally": "ledger",
    "ledger_span": "ledger",
    "correction": "correction",
    "withdrawal": "withdrawal",
    "incident": "incident",
    "discard": "retention",
    "retention_settings": "retention",
    "privacy_settings": "privacy",
    "saved_file": "files",
    "team_member": "team",
    "team_settings": "team",
    "count_import": "report",
    "worker_profile": "worker",
}


def module_of(path: pathlib.Path) -> str:
    rel = path.relative_to(SRC)
    top = rel.parts[0]
    return top[:-3] if top.endswith(".rs") else top


def sources():
    for path in sorted(SRC.rglob("*.rs")):
        # Unit tests may reach into any module; the shape is about the code they test.
        if path.name in ("tests.rs", "testing.rs") or path.parent.name == "tests":
            continue
        text = path.read_text()
        # Drop comments, inline test modules and test-only items (up to the next blank line).
        text = re.sub(r"//[^\n]*", "", text)
        text = re.split(r"#\[cfg\(test\)\]\s*mod tests", text)[0]
        text = re.sub(r"#\[cfg\(test\)\].*?\n\s*\n", "\n", text, flags=re.S)
        yield path, text


def imports() -> dict:
    graph: dict = {}
    crate_use = re.compile(r"\bcrate::(?:\{([^}]*)\}|(\w+))")
    for path, text in sources():
        here = module_of(path)
        if here in ("lib", "main"):
            continue
        graph.setdefault(here, set())
        for group, single in crate_use.findall(text):
            names = [single] if single else [n.strip().split("::")[0] for n in group.split(",")]
            for name in names:
                name = name.strip()
                is_module = (SRC / f"{name}.rs").exists() or (SRC / name / "mod.rs").exists()
                if name and name != here and is_module:
                    graph[here].add(name)
    return graph


def circles(graph: dict) -> list:
    """Tarjan's strongly connected components of more than one module."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            part = []
            while True:
                w = stack.pop()
                on.discard(w)
                part.append(w)
                if w == v:
                    break
            if len(part) > 1:
                out.append(sorted(part))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def strings(text: str):
    """The string literals of a Rust source, raw strings included."""
    for m in re.finditer(r'r(#*)"(.*?)"\1|"((?:[^"\\]|\\.)*)"', text, re.S):
        yield m.group(2) if m.group(2) is not None else m.group(3)


# Queries that still reach into another module's table, each to be moved behind a function of
# the owner. The list may only shrink: a new entry fails the check, and so does an entry that is
# gone but still listed, so the list stays true.
KNOWN_FOREIGN_SQL: set = set()

SQL_TABLE = r"\b(?:FROM|JOIN|INTO|UPDATE|TABLE)\s+{t}\b|\bDELETE\s+FROM\s+{t}\b"


def foreign_sql() -> list:
    found = []
    for path, text in sources():
        here = module_of(path)
        for literal in strings(text):
            for table, owner in OWNERS.items():
                if here == owner:
                    continue
                if re.search(SQL_TABLE.format(t=table), literal, re.I):
                    found.append(f"{path.relative_to(SRC)}: SQL on `{table}` (owner: {owner})")
    return sorted(set(found))


def main() -> int:
    failed = False
    graph = imports()
    for part in circles(graph):
        failed = True
        print("import circle between core modules: " + " ↔ ".join(part), file=sys.stderr)
    found = set(foreign_sql())
    for line in sorted(found - KNOWN_FOREIGN_SQL):
        failed = True
        print(f"new query on another module's table: {line}", file=sys.stderr)
    for line in sorted(KNOWN_FOREIGN_SQL - found):
        failed = True
        print(f"gone, take it off KNOWN_FOREIGN_SQL: {line}", file=sys.stderr)
    if not failed:
        print(
            f"{len(graph)} core modules, no import circle; "
            f"{len(found)} known queries on another module's table still to move"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
