#!/usr/bin/env bash
# Time XSD validation of 1,000 generated XML files of about 20 KB each.
# One hyperfine run times xmllint, the flowspec library
# (bench_xml_validate.py) and `flowspec validate` on a job file whose entry
# globs the files, so the ratios come from the same conditions.
# WITH_CLI=0 leaves the command out; RUNS sets the number of runs.
#
# Usage: benchmarks/bench_xml.sh [FOLDER] [COUNT]
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
folder="${1:-$(mktemp -d)}"
count="${2:-1000}"

python "$here/bench_xml_generate.py" "$folder" "$count"
cd "$folder"
files="$(ls orders/*.xml | tr '\n' ' ')"

commands=(
  -n xmllint "xmllint --noout --schema order.xsd $files"
  -n "flowspec library, 1 process" "env XMLCHECK_PROCESSES=1 python $here/bench_xml_validate.py order.xsd $files"
  -n "flowspec library, check_many" "python $here/bench_xml_validate.py order.xsd $files"
)
if [[ "${WITH_CLI:-1}" == 1 ]]; then
  commands+=(-n "flowspec validate" "flowspec validate job.yaml")
fi

echo "machine: $(nproc) cores, $(python -V), $(xmllint --version 2>&1 | head -1)"
hyperfine -N --warmup 3 --runs "${RUNS:-20}" --export-markdown "$folder/results.md" \
  --export-json "$folder/results.json" "${commands[@]}"

# Medians and minimums resist the load of other processes better than means.
python - "$folder/results.json" <<'SUMMARY'
import json, statistics, sys
results = json.load(open(sys.argv[1]))["results"]
base = statistics.median(results[0]["times"])
base_min = min(results[0]["times"])
print(f"{'command':34} {'median':>9} {'min':>9} {'median/xmllint':>15} {'min/xmllint':>12}")
for result in results:
    median, fastest = statistics.median(result["times"]), min(result["times"])
    print(f"{result['command']:34} {median * 1000:7.0f}ms {fastest * 1000:7.0f}ms "
          f"{median / base:15.2f} {fastest / base_min:12.2f}")
SUMMARY
