#!/usr/bin/env bash
# ctest help.<tool>: every option line of `TOOL --help` (a line starting with two spaces and a
# dash) must appear, exactly as printed, in README.md, so that the README's usage blocks cannot
# drift from the programs. Usage: check_help_in_readme.sh TOOL README
set -euo pipefail
tool=$1 readme=$2
help=$("$tool" --help)
missing=0
while IFS= read -r line; do
  if ! grep -Fxq -- "$line" "$readme"; then
    echo "README.md lacks this line of $(basename "$tool") --help:"
    echo "$line"
    missing=1
  fi
done < <(grep -E '^  -' <<<"$help")
[[ $missing -eq 0 ]] || exit 1
echo "every option line of $(basename "$tool") --help is in README.md"
