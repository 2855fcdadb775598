#!/usr/bin/env bash
# The run step of action.yml (the composite GitHub Action), kept here so the test suite runs it locally with
# GITHUB_OUTPUT and GITHUB_STEP_SUMMARY pointing at temporary files.
#
# Runs `bhq-migrate $BHQ_COMMAND $BHQ_ARGS --format sarif` once, writes the SARIF to $BHQ_SARIF_FILE, emits one
# ::error/::warning/::notice annotation per result, appends a Markdown summary to $GITHUB_STEP_SUMMARY, sets the
# step outputs `sarif` and `exit-code`, and exits with bhq-migrate's exit code (0 pass, 1 findings, 2 could not run).
set -uo pipefail

command="${BHQ_COMMAND:-verify}"
sarif="${BHQ_SARIF_FILE:-bhq-migrate.sarif}"
python="${BHQ_PYTHON:-python3}"
output="${GITHUB_OUTPUT:-/dev/null}"
summary="${GITHUB_STEP_SUMMARY:-/dev/null}"

case "$command" in
  verify|lint|scan-queries) ;;
  *)
    echo "::error title=bhq-migrate::unsupported command '$command': use verify, lint or scan-queries"
    exit 2
    ;;
esac
if [ -n "${BHQ_DATABASE_URL:-}" ]; then
  export DATABASE_URL="$BHQ_DATABASE_URL"
fi

# Word-split the extra arguments the way a shell line would (quotes are not interpreted: keep paths simple).
read -r -a extra <<< "${BHQ_ARGS:-}"
errors="$(mktemp)"
trap 'rm -f "$errors"' EXIT

"$python" -m bhq_migrate "$command" ${extra[@]+"${extra[@]}"} --format sarif > "$sarif" 2> "$errors"
code=$?
cat "$errors" >&2
echo "exit-code=$code" >> "$output"

if [ "$code" -ge 2 ] || ! "$python" -c 'import json, sys; json.load(open(sys.argv[1]))' "$sarif" 2> /dev/null; then
  reason="$(sed -n 's/^error: //p' "$errors" | head -n 1)"
  reason="${reason:-exit code $code, no SARIF report}"
  reason="${reason//'%'/'%25'}"
  echo "::error title=bhq-migrate $command could not run::$reason"
  {
    echo "## bhq-migrate $command: could not run (exit code $code)"
    echo
    echo "$reason"
  } >> "$summary"
  rm -f "$sarif"
  if [ "$code" -lt 2 ]; then code=2; fi
  exit "$code"
fi

echo "sarif=$sarif" >> "$output"
"$python" -m bhq_migrate.report.github "$sarif" "$command" "$code" || exit 2
exit "$code"
