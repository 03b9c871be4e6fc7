#!/usr/bin/env python3
"""Checks the .deb an IT department installs: what it carries and that its Depends are whole.

    check-deb.py contents <package.deb>   before installing: the files a worker and a licence need
    check-deb.py depends <package.deb>    after `dpkg -i`: every library the installed app loads
                                          comes from a package its Depends bring in

A Debian machine that builds the app has every -dev package, so an incomplete Depends never shows
there; the second check finds it anyway, by asking which package owns each library `ldd` names
and whether that package is reachable from the .deb's Depends.
"""

import re
import subprocess
import sys

BINARY = "/usr/bin/aanmelder"

# What the package must carry, and why.
REQUIRED = {
    BINARY: "the app",
    "/usr/share/applications/Aanmelder.desktop": "the menu entry",
    "/usr/share/icons/hicolor/128x128/apps/aanmelder.png": "the icon",
    "/usr/share/doc/aanmelder/statbel/LICENSE-DATA": "Statbel's CC BY 4.0 attribution",
    "/usr/share/doc/aanmelder/fonts/OFL.txt": "the font licence (SIL OFL 1.1)",
}


def run(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def field(deb: str, name: str) -> str:
    return run("dpkg-deb", "-f", deb, name).strip()


def names(depends: str) -> set[str]:
    """Package names in a Depends field: each alternative, without versions or architecture."""
    found = set()
    for clause in filter(None, (c.strip() for c in depends.split(","))):
        for alternative in clause.split("|"):
            name = re.split(r"[\s(:]", alternative.strip(), maxsplit=1)[0]
            if name:
                found.add(name)
    return found


def installed_depends(package: str) -> set[str]:
    out = subprocess.run(
        ["dpkg-query", "-W", "-f=${Depends}, ${Pre-Depends}", package],
        capture_output=True,
        text=True,
    )
    return names(out.stdout) if out.returncode == 0 else set()


def contents(deb: str) -> list[str]:
    # dpkg-deb lists `./usr/…` or `usr/…`, depending on how the archive was made.
    members = {"/" + line.split()[-1].removeprefix("./") for line in run("dpkg-deb", "-c", deb).splitlines()}
    listed = {m.rstrip("/") for m in members}
    problems = [f"{path} ({why}) is missing" for path, why in REQUIRED.items() if path not in listed]
    tar = subprocess.run(["dpkg-deb", "--fsys-tarfile", deb], check=True, capture_output=True)
    names = subprocess.run(["tar", "-t"], input=tar.stdout, capture_output=True, check=True)
    desktop = next(
        (n for n in names.stdout.decode().splitlines() if n.endswith("applications/Aanmelder.desktop")),
        None,
    )
    entry = ""
    if desktop:
        entry = subprocess.run(
            ["tar", "-xO", desktop], input=tar.stdout, capture_output=True, check=True
        ).stdout.decode()
    for line in ("Name=Aanmelder", "Exec=aanmelder", "Icon=aanmelder"):
        if line not in entry.splitlines():
            problems.append(f"the desktop entry lacks {line!r}")
    return problems


def depends(deb: str) -> list[str]:
    wanted = names(field(deb, "Depends")) | names(field(deb, "Pre-Depends"))
    # Everything the Depends bring in, as dpkg resolved them on this machine.
    reachable, todo = set(), list(wanted)
    while todo:
        package = todo.pop()
        if package in reachable:
            continue
        reachable.add(package)
        todo.extend(installed_depends(package) - reachable)
    essential = set(run("dpkg-query", "-W", "-f=${Package} ${Essential}\n").split("\n"))
    reachable |= {line.split()[0] for line in essential if line.endswith(" yes")}

    problems = []
    for line in run("ldd", BINARY).splitlines():
        if "not found" in line:
            problems.append(f"{line.strip()}: a library the app needs is not installed")
            continue
        match = re.search(r"=> (/\S+)", line)
        if not match:
            continue
        owner = subprocess.run(["dpkg", "-S", match.group(1)], capture_output=True, text=True)
        if owner.returncode != 0:
            # usrmerge: /lib/… is owned as /usr/lib/… or the other way round.
            path = match.group(1)
            other = path.removeprefix("/usr") if path.startswith("/usr/") else "/usr" + path
            owner = subprocess.run(["dpkg", "-S", other], capture_output=True, text=True)
        if owner.returncode != 0:
            problems.append(f"{match.group(1)} belongs to no package")
            continue
        package = owner.stdout.split(":")[0].strip()
        if package not in reachable:
            problems.append(f"{match.group(1)} comes from {package}, which the Depends do not bring in")
    return problems


def main() -> int:
    if len(sys.argv) != 3 or sys.argv[1] not in ("contents", "depends"):
        print(__doc__, file=sys.stderr)
        return 2
    check, deb = sys.argv[1], sys.argv[2]
    problems = contents(deb) if check == "contents" else depends(deb)
    for problem in problems:
        print(f"{deb}: {problem}", file=sys.stderr)
    if not problems:
        print(f"{deb}: {check} complete (Depends: {field(deb, 'Depends')})")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
