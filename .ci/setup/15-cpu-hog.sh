# shellcheck shell=bash
# Sourced by .ci/run: stress-ng (Debian's package) for the CPU hog that apps/api/test/faults.test.ts runs every
# fault test under (one worker per core, same priority as the service, stops by itself after 10 min); exports
# API_CPU_HOG_CMD. Without it the tests hog the cores with busy-loop Node children instead.
_awp_cpu_hog() {
  if ! command -v stress-ng >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "15-cpu-hog: apt-get install stress-ng"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends stress-ng >/dev/null 2>&1 \
      || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends stress-ng >/dev/null; } \
      || echo "15-cpu-hog: stress-ng could not be installed; the fault tests use busy-loop children"
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
