# Sourced by run.sh and compare.sh: publishes the exit-time tool (and run.sh's peers) the way the benchmark measures it.
# BUILD=r2r (default): framework-dependent and ReadyToRun for this machine's runtime identifier, which is what a
# RID-specific tool package (RuntimeIdentifiers + PublishReadyToRun, .NET SDK 10) installs.
# BUILD=jit: portable and JIT-compiled, what a tool packed without RuntimeIdentifiers installs, built against the
# Candor package as a tool author gets it (packed here, for this machine's runtime identifier only, so its
# Candor.dll is the precompiled copy the package carries for each runtime identifier).
# BUILD=jit-source: the same tool built against Candor's source, whose Candor.dll is not precompiled.
# BUILD=aot: Native AOT for this machine's runtime identifier (one native executable, no JIT at all).
BUILD=${BUILD:-r2r}
RID=$(dotnet --info | sed -n 's/^ *RID: *//p' | head -n1)
case "$BUILD" in
  r2r)
    BUILD_LABEL="framework-dependent, ReadyToRun for $RID, Release"
    PUBLISH_ARGS=(-r "$RID" --self-contained false -p:PublishReadyToRun=true)
    ;;
  jit)
    BUILD_LABEL="framework-dependent, portable, JIT-compiled, Release, with the Candor package (Candor.dll precompiled for $RID)"
    PUBLISH_ARGS=()
    ;;
  aot)
    BUILD_LABEL="Native AOT for $RID, Release"
    PUBLISH_ARGS=(-r "$RID" -p:PublishAot=true)
    ;;
  jit-source)
    BUILD_LABEL="framework-dependent, portable, JIT-compiled, Release, with Candor from source (not precompiled)"
    PUBLISH_ARGS=()
    ;;
  *)
    echo "BUILD must be r2r, jit, jit-source or aot, not '$BUILD'" >&2
    exit 2
    ;;
esac

# publish_tool <tool project folder> <output folder>: with BUILD=jit, packs the Candor of the same source tree into
# a feed beside the output (a version of its own, restored into a packages folder of its own) and builds against it.
publish_tool() {
  if [ "$BUILD" = jit ]; then
    local tree version
    tree=$(cd "$1/../.." && pwd)
    version=1.0.0-exit.$(date +%s%N)
    dotnet pack -c Release "$tree/src/Candor" -o "$2.feed" -p:Version="$version" -p:CandorPrecompiledRuntimes="$RID" --nologo -v quiet >&2
    dotnet publish -c Release "$1" -o "$2" -p:CandorPackageVersion="$version" \
      -p:RestoreAdditionalProjectSources="$2.feed" -p:RestorePackagesPath="$2.packages" --nologo -v quiet >&2
  else
    dotnet publish -c Release "$1" -o "$2" "${PUBLISH_ARGS[@]}" --nologo -v quiet >&2
  fi
}

# publish_peer <peer tool project folder> <output folder>: a peer (bench/exit-time/peers.py) published the same way,
# with its library from NuGet (BUILD=jit and jit-source alike: portable and JIT-compiled).
publish_peer() {
  dotnet publish -c Release "$1" -o "$2" "${PUBLISH_ARGS[@]}" --nologo -v quiet >&2
}
