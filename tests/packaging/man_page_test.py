#!/usr/bin/env python3
"""rcuwatch(8) against the binary's --help, both ways.

Usage: man_page_test.py RCUWATCH MAN_PAGE ERROR_HPP

- every flag `rcuwatch --help` lists is in GLOBAL OPTIONS;
- every flag `rcuwatch S --help` lists is in S's section under COMMANDS, or
  in SOURCE OPTIONS / REMOTE OPTIONS / DETECTOR OPTIONS, which S's section must then name
  (and S must take all of that shared section's flags if it names it);
- no flag in the page that no --help lists (a renamed or removed flag), and
  none in S's own section that S does not take;
- every subcommand has a section and a SYNOPSIS line; every exit code of
  userspace/error.hpp is in EXIT STATUS.
"""
import re
import subprocess
import sys

rcuwatch, man_page, error_hpp = sys.argv[1:4]
problems = []

# Dots inside a flag (--web.config.file, as the Prometheus exporters name it).
FLAG = re.compile(r"(?<![\w\-])(--?[A-Za-z][A-Za-z0-9\-]*(?:\.[A-Za-z0-9\-]+)*)")


def help_text(*args):
    out = subprocess.run([rcuwatch, *args, "--help"], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"FAIL: rcuwatch {' '.join(args)} --help exited {out.returncode}")
    return out.stdout


def help_flags(text):
    """Flags of the option lines: '  -i,--interval FLOAT ...', '  --json  ...'."""
    flags = set()
    for line in text.splitlines():
        m = re.match(r"^  (-\S+)", line)
        if m:
            flags.update(f for f in m.group(1).split(",") if f.startswith("-"))
    return flags - {"-h", "--help"}


def subcommands(text):
    names, inside = [], False
    for line in text.splitlines():
        if line.startswith("Subcommands:"):
            inside = True
        elif inside and re.match(r"^  (\S+)", line):
            names.append(line.split()[0])
        elif inside and line.strip() == "":
            inside = False
    return names


# The page as a reader sees it: wide lines, no hyphenation, no overstriking.
page = subprocess.run(
    ["groff", "-man", "-Tascii", "-P-cbou", "-rLL=250n", "-rHY=0", "-ww", man_page],
    capture_output=True, text=True, check=True)
if page.stderr.strip():
    problems.append(f"groff warns: {page.stderr.strip()}")
sections, subsections = {}, {}
sh = ss = None
for line in page.stdout.splitlines():
    if re.match(r"^[A-Z][A-Z ]+$", line):
        sh, ss = line.strip(), None
        sections[sh] = []
        continue
    m = re.match(r"^   (\S+)$", line)
    if m and sh == "COMMANDS":
        ss = m.group(1)
        subsections[ss] = []
        continue
    if sh:
        sections[sh].append(line)
    if ss:
        subsections[ss].append(line)
text_of = {k: "\n".join(v) for k, v in sections.items()}
sub_text = {k: "\n".join(v) for k, v in subsections.items()}
for needed in ["SYNOPSIS", "GLOBAL OPTIONS", "COMMANDS", "SOURCE OPTIONS", "REMOTE OPTIONS",
               "DETECTOR OPTIONS", "EXIT STATUS", "FILES", "EXAMPLES"]:
    if needed not in text_of:
        problems.append(f"no {needed} section")
if problems:
    sys.exit("FAIL: " + "; ".join(problems))


def flags_in(text):
    return set(FLAG.findall(text))


def defined_in(lines):
    """Flags of the .TP tags (at 7 columns; a tag shorter than the indent
    shares its line with the text at 14), not those the text mentions."""
    flags = set()
    for line in lines:
        if not re.match(r"^ {7}\S", line):
            continue
        short = len(line) > 14 and line[13] == " " and line[14] != " "
        flags |= flags_in(line[7:13] if short else line[7:])
    return flags


shared = {name: defined_in(sections[name])
          for name in ["SOURCE OPTIONS", "REMOTE OPTIONS", "DETECTOR OPTIONS"]}
top_help = help_text()
known = set(help_flags(top_help)) | {"-h", "--help"}
for flag in sorted(help_flags(top_help) - flags_in(text_of["GLOBAL OPTIONS"])):
    problems.append(f"rcuwatch {flag} is not in GLOBAL OPTIONS")

names = subcommands(top_help)
if not names:
    problems.append("rcuwatch --help lists no subcommands")
checked = 0
for name in names:
    if name not in sub_text:
        problems.append(f"no section for '{name}' under COMMANDS")
        continue
    if not re.search(rf"^\s*rcuwatch {name}\b", text_of["SYNOPSIS"], re.M):
        problems.append(f"no SYNOPSIS line for '{name}'")
    flags = help_flags(help_text(name))
    known |= flags
    own = defined_in(subsections[name])
    reachable = set(own)
    for section, section_flags in shared.items():
        if section in sub_text[name]:
            reachable |= section_flags
            for flag in sorted(section_flags - flags):
                problems.append(f"'{name}' names {section}, but has no {flag}")
    for flag in sorted(flags - reachable):
        problems.append(f"rcuwatch {name} {flag} is not in the man page where '{name}' is")
    for flag in sorted(own - flags):
        problems.append(f"the '{name}' section shows {flag}, which 'rcuwatch {name}' does not take")
    checked += len(flags)

# Examples may run other commands (systemctl --now): only rcuwatch's lines count.
mentioned = "\n".join(line for name, lines in sections.items() for line in lines
                      if name != "EXAMPLES" or line.strip().startswith("rcuwatch"))
for flag in sorted(flags_in(mentioned) - known):
    problems.append(f"the man page shows {flag}, which no --help lists")

codes = re.findall(r"kExit\w+\s*=\s*(\d+)", open(error_hpp).read())
if not codes:
    problems.append(f"no exit codes found in {error_hpp}")
exit_lines = {line.split()[0] for line in sections["EXIT STATUS"] if line.strip()}
for code in codes:
    if code not in exit_lines:
        problems.append(f"exit status {code} (userspace/error.hpp) is not in EXIT STATUS")

if problems:
    print("\n".join("FAIL: " + p for p in problems))
    sys.exit(1)
print(f"man page: {len(names)} subcommands, {checked} subcommand flags and {len(codes)} exit "
      f"statuses all documented; no flag documented that --help does not list")
