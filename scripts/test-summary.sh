#!/usr/bin/env bash
# Sums the per-assembly "Passed!/Failed! - Failed: N, Passed: N, Skipped: N" lines of `dotnet test` into one
# closing line ("N passed, N failed, N skipped") that CI reads.
log="$1"
grep -hoE "Failed: +[0-9]+, Passed: +[0-9]+, Skipped: +[0-9]+" "$log" | awk -F'[:,] +' '
  { f += $2; p += $4; s += $6 }
  END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }'
