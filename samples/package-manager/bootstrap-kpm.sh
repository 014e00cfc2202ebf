#!/bin/sh
# Builds kpm from source and prepares it for use, as kmpkg's bootstrap script does.
#   ./bootstrap-kpm.sh                    builds kpm and prepares its folders
#   ./bootstrap-kpm.sh -disableMetrics    turns kpm's telemetry off for good on this machine
# A build from source carries no ingestion key, so it collects nothing (and shows no notice) either way.
# KPM_BUILD_OUTPUT and KPM_BUILD_CONFIGURATION choose where and how it is built.
set -eu
here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
output=${KPM_BUILD_OUTPUT:-"$here/bin"}
configuration=${KPM_BUILD_CONFIGURATION:-Release}
dotnet build "$here/Kpm/Kpm.csproj" -c "$configuration" -o "$output" -nologo -v q
exec "$output/kpm" bootstrap "$@"
