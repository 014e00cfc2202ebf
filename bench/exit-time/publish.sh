# Sourced by run.sh and compare.sh: publishes the exit-time tool the way the benchmark measures it.
# BUILD=r2r (default): framework-dependent and ReadyToRun for this machine's runtime identifier, which is what a
# RID-specific tool package (RuntimeIdentifiers + PublishReadyToRun, .NET SDK 10) installs.
# BUILD=jit: portable and JIT-compiled, what a tool packed without RuntimeIdentifiers installs.
BUILD=${BUILD:-r2r}
case "$BUILD" in
  r2r)
    RID=$(dotnet --info | sed -n 's/^ *RID: *//p' | head -n1)
    BUILD_LABEL="framework-dependent, ReadyToRun for $RID, Release"
    PUBLISH_ARGS=(-r "$RID" --self-contained false -p:PublishReadyToRun=true)
    ;;
  jit)
    BUILD_LABEL="framework-dependent, portable, JIT-compiled, Release"
    PUBLISH_ARGS=()
    ;;
  *)
    echo "BUILD must be r2r or jit, not '$BUILD'" >&2
    exit 2
    ;;
esac

publish_tool() {
  dotnet publish -c Release "$1" -o "$2" "${PUBLISH_ARGS[@]}" --nologo -v quiet >&2
}
