# shellcheck shell=bash
# Sourced by .ci/run: stress-ng (Debian's package) for the CPU hog that apps/api/test/faults.test.ts runs every
# fault test under (one worker per core, same priority as the service, stops by itself after 10 min); exports
# API_CPU_HOG_CMD. Without it the tests hog the cores with busy-loop Node children instead.
# (.ci/run installs stress-ng in the background beforehand, and fails when it cannot; here it is quick then.)
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
_awp_cpu_hog() {
  if ! command -v stress-ng >/dev/null 2>&1; then
    echo "15-cpu-hog: apt-get install stress-ng"
    ci_apt_install stress-ng || echo "15-cpu-hog: stress-ng could not be installed; the fault tests use busy-loop children"
  fi
  if command -v stress-ng >/dev/null 2>&1; then
    local cores
    cores=$(nproc)
    export API_CPU_HOG_CMD="stress-ng --cpu $cores --cpu-method int64 --timeout 600s --quiet"
    echo "15-cpu-hog: API_CPU_HOG_CMD=$API_CPU_HOG_CMD"
  fi
}
_awp_cpu_hog
unset -f _awp_cpu_hog
