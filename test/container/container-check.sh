#!/usr/bin/env bash
# container-check.sh (`npm run test:container`): the project's container test. Builds and runs the
# Dockerfile and docker-compose.yml for real with podman, on a host that cannot reach any container
# registry (only the Debian mirror and the npm registry), so the image and the compose file stay proven.
#
#   1. local stand-in for node:20.20-bookworm-slim (debootstrap bookworm minbase + the host's Node 20)
#   2. podman build of the project's Dockerfile, unchanged (first with no extras, then with the host CA)
#   3. local stand-in for mcr.microsoft.com/azure-storage/azurite:3.35.0 (azurite@3.35.0 from npm)
#   4. podman-compose up with the project's docker-compose.yml, unchanged
#   5. health, ams-client upload/download round trip, verifications, restart, recreate, healthchecks,
#      the image's user, the bins' execute bit, the emulator waiting for an Azurite that starts late
#
# Exit status: 0 every check passed; 1 a check failed; 77 podman cannot run containers on this host
# (the reason is printed; callers such as .ci/run report the step as skipped). Needs root (apt-get,
# podman's storage) and runc (crun fails on this kind of host's cgroups).
#
# Usage: container-check.sh [PROJECT_CHECKOUT]   (WORK=scratch dir; default a new temp dir)
# Works only under $WORK (plus podman's storage). Never touches the checkout: it clones its HEAD, so
# commit what you want tested.
# Env: FRESH=1 (default) removes this script's images first; REUSE_ROOTFS=1 (default) keeps an existing
#      debootstrap tree; PLAIN_BUILD=1 (default) also runs the build with no extras (about 2.5 min, fails here);
#      KEEP_RUNNING=1 leaves the compose stack up at the end.
set -uo pipefail

W=${WORK:-$(mktemp -d)}
SRC=${1:-$PWD}   # the project checkout (default: the current directory)
P=$W/proj
LOGS=$W/logs
ROOTFS=$W/rootfs
MIRROR=${MIRROR:-$(grep -hoE "^(deb|URIs:) +https?://[^ ]+" /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null | grep -oE "https?://[^ ]+" | head -1)}
FRESH=${FRESH:-1}
REUSE_ROOTFS=${REUSE_ROOTFS:-1}
PLAIN_BUILD=${PLAIN_BUILD:-0}
KEEP_RUNNING=${KEEP_RUNNING:-0}

NODE_IMG=docker.io/library/node:20.20-bookworm-slim
DEBIAN_IMG=docker.io/library/debian:bookworm-slim
AZURITE_IMG=mcr.microsoft.com/azure-storage/azurite:3.35.0
EMU_IMG=localhost/ams-v2-emulator:latest
EMU_PLAIN_IMG=localhost/ams-v2-emulator:plain
COMPOSE_PROJECT=proj                      # podman-compose names things after the directory
COMPOSE_EMU_IMG=localhost/${COMPOSE_PROJECT}_ams-emulator:latest
EMU_CTR=${COMPOSE_PROJECT}_ams-emulator_1
AZ_CTR=${COMPOSE_PROJECT}_azurite_1
NET=${COMPOSE_PROJECT}_default
VOLS=(${COMPOSE_PROJECT}_azurite-data ${COMPOSE_PROJECT}_emulator-data)
HC_CTR=ctr-ams-imagehc                    # by-hand container to test the Dockerfile's own HEALTHCHECK
API=http://127.0.0.1:10010
CS='DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://azurite:10000/devstoreaccount1;'

# Host-side npm gets its own cache here. npx runs the project's own bin (ams-client) by linking the
# project into <cache>/_npx/<hash of its path> once; only then does it chmod +x dist/client/src/cli/main.js.
# A stale link from an earlier clone at the same path leaves a fresh build's main.js (0644, as tsc writes
# it) unexecutable: "sh: 1: ams-client: Permission denied". So the _npx part is emptied on every run.
export npm_config_cache=$W/npm-cache
# podman on this host: crun fails on its cgroups, default ulimits are refused.
export CONTAINERS_CONF=$W/containers.conf
PM=(podman --runtime runc)
# Needed where TLS to the npm registry is intercepted by a proxy whose CA is in the host's bundle but in
# no image: the host bundle is bind-mounted for RUN steps only (nothing of it stays in the image).
CA_MOUNTS="-v /etc/ssl/certs/ca-certificates.crt:/run/host-ca.crt:ro -v $W/build-npmrc:/usr/local/etc/npmrc:ro"
# podman-compose 1.0.3: runc for every podman call; the CA mounts, docker format (keeps HEALTHCHECK)
# and no intermediate layer images for its build.
PC=(podman-compose --podman-args '--runtime runc'
    --podman-build-args "--format docker --layers=false $CA_MOUNTS")

RESULTS=()
ok()   { RESULTS+=("PASS  $*"); echo "PASS: $*"; }
bad()  { RESULTS+=("FAIL  $*"); echo "FAIL: $*"; }
note() { RESULTS+=("NOTE  $*"); echo "NOTE: $*"; }
step() { echo; echo "=================== $* [$(date +%T)]"; }
nosd() { grep -v -e 'systemd connection' -e 'failed to connect to syslog' || true; }   # no systemd here
secs() { echo $(( $(date +%s) - $1 )); }
wait_health() { # url timeout
  local i; for ((i = 0; i < $2; i++)); do curl -fsS "$1" >/dev/null 2>&1 && { echo "$i"; return 0; }; sleep 1; done
  echo "$i"; return 1
}
T_ALL=$(date +%s)
mkdir -p "$W" "$LOGS"

step "0. tools, config, clean slate"
command -v podman >/dev/null && command -v runc >/dev/null && command -v debootstrap >/dev/null && command -v podman-compose >/dev/null \
  || DEBIAN_FRONTEND=noninteractive apt-get install -y -q podman runc debootstrap podman-compose >"$LOGS/apt.log" 2>&1
command -v podman >/dev/null && command -v runc >/dev/null \
  || { echo "SKIP: podman and runc are not installed and apt-get could not install them: $(tail -1 "$LOGS/apt.log" 2>/dev/null)"; exit 77; }
printf '[containers]\ndefault_ulimits = []\n' >"$CONTAINERS_CONF"
printf 'cafile=/run/host-ca.crt\n' >"$W/build-npmrc"
# Can podman run a container here at all (user namespaces, cgroups, mounts)? A rootfs of /bin/true
# and its libraries needs no image and no registry.
PROBE=$W/probe-rootfs
rm -rf "$PROBE" && mkdir -p "$PROBE/bin" && cp /bin/true "$PROBE/bin/"
for lib in $(ldd /bin/true | grep -oE '/[^ ]+'); do mkdir -p "$PROBE$(dirname "$lib")" && cp "$lib" "$PROBE$lib"; done
if ! PROBE_OUT=$(timeout 120 "${PM[@]}" run --rm --network none --rootfs "$PROBE" /bin/true 2>&1); then
  echo "SKIP: podman cannot run containers on this host: $(echo "$PROBE_OUT" | nosd | tail -1)"; exit 77
fi
echo "podman $(podman --version | awk '{print $3}'), runc $(runc --version | head -1 | awk '{print $3}'), podman-compose $(dpkg-query -W -f='${Version}' podman-compose)"
if [ -d "$P" ]; then (cd "$P" && "${PC[@]}" down >"$LOGS/down-pre.log" 2>&1); fi
"${PM[@]}" rm -f -v -t 2 "$HC_CTR" "$EMU_CTR" "$AZ_CTR" >/dev/null 2>&1
"${PM[@]}" volume rm "${VOLS[@]}" >/dev/null 2>&1
"${PM[@]}" network rm "$NET" >/dev/null 2>&1
if [ "$FRESH" = 1 ]; then
  "${PM[@]}" rmi "$COMPOSE_EMU_IMG" "$EMU_IMG" "$EMU_PLAIN_IMG" "$AZURITE_IMG" "$NODE_IMG" "$DEBIAN_IMG" >/dev/null 2>&1
fi
for port in 10000 10010; do
  if ss -ltn | awk '{print $4}' | grep -qE "[:.]$port\$"; then echo "port $port is taken: stop here"; ss -ltnp | grep ":$port "; exit 1; fi
done
rm -rf "$npm_config_cache/_npx"
rm -rf "$P" && git clone -q "$SRC" "$P" && echo "cloned $SRC at $(git -C "$P" log --oneline -1)"

step "1. base image: $NODE_IMG (stand-in)"
T=$(date +%s)
if [ "$REUSE_ROOTFS" = 1 ] && [ -x "$ROOTFS/usr/bin/apt-get" ]; then
  echo "reusing debootstrap tree $ROOTFS"
else
  rm -rf "$ROOTFS"
  debootstrap --variant=minbase bookworm "$ROOTFS" "$MIRROR" >"$LOGS/debootstrap.log" 2>&1 \
    || { tail -20 "$LOGS/debootstrap.log"; bad "debootstrap"; exit 1; }
fi
# debian:bookworm-slim: minbase without docs/man/locales/apt lists/logs
tar -C "$ROOTFS" --numeric-owner \
  --exclude='./usr/share/doc/*' --exclude='./usr/share/man/*' --exclude='./usr/share/info/*' \
  --exclude='./usr/share/locale/*' --exclude='./var/cache/apt/*' --exclude='./var/lib/apt/lists/*' \
  --exclude='./var/log/*' --exclude='./etc/hostname' --exclude='./etc/resolv.conf' -c . \
  | "${PM[@]}" import --change 'CMD ["bash"]' - "$DEBIAN_IMG" >"$LOGS/import.log" 2>&1 \
  || { cat "$LOGS/import.log"; bad "podman import"; exit 1; }
# Node: the host's nodesource 20.20.x binary; npm 10.8.2 (the npm that Node 20.20 ships) from the registry;
# laid out as nodejs/docker-node 20/bookworm-slim does (/usr/local, user node 1000, entrypoint, CMD node).
NODE_BIN=$(readlink -f "$(command -v node)")
echo "host node $(node -v) from package: $(dpkg -S "$NODE_BIN" 2>/dev/null) $(dpkg-query -W -f='${Version}' nodejs 2>/dev/null)"
case "$(node -v)" in v20.20.*) ;; *) note "host node is $(node -v), not 20.20.x";; esac
NB=$W/nodebase
rm -rf "$NB" && mkdir -p "$NB"/usr/local/{bin,include,lib/node_modules/npm}
( cd "$NB" && npm pack -q npm@10.8.2 >/dev/null 2>"$LOGS/npm-pack.log" ) || { cat "$LOGS/npm-pack.log"; bad "npm pack npm@10.8.2"; exit 1; }
cp -a "$NODE_BIN" "$NB/usr/local/bin/node"
cp -a /usr/include/node "$NB/usr/local/include/node"
find "$NB/usr/local/include/node/openssl/archs" -mindepth 1 -maxdepth 1 ! -name linux-x86_64 -exec rm -rf {} +
cp -a /usr/lib/node_modules/corepack "$NB/usr/local/lib/node_modules/corepack"
tar -xzf "$NB/npm-10.8.2.tgz" -C "$NB/usr/local/lib/node_modules/npm" --strip-components=1 --no-same-owner
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$NB/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$NB/usr/local/bin/npx"
ln -s ../lib/node_modules/corepack/dist/corepack.js "$NB/usr/local/bin/corepack"
ln -s node "$NB/usr/local/bin/nodejs"
( cd "$NB" && tar --numeric-owner -cf node-usr-local.tar usr && rm -rf usr npm-10.8.2.tgz )
cat >"$NB/docker-entrypoint.sh" <<'EOF'
#!/bin/sh
set -e

# Run command with node if the first argument contains a "-" or is not a system command. The last
# part inside the "{}" is a workaround for the following bug in ash/dash:
# Debian bug 874264
if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ] || { [ -f "${1}" ] && ! [ -x "${1}" ]; }; then
  set -- node "$@"
fi

exec "$@"
EOF
chmod 755 "$NB/docker-entrypoint.sh"
cat >"$NB/Containerfile" <<'EOF'
# Local stand-in for docker.io/library/node:20.20-bookworm-slim (nodejs/docker-node 20/bookworm-slim layout):
# node in /usr/local, npm 10.8.2 + corepack (no yarn), user node (1000), no ca-certificates, entrypoint + CMD node.
FROM docker.io/library/debian:bookworm-slim
RUN groupadd --gid 1000 node \
  && useradd --uid 1000 --gid node --shell /bin/bash --create-home node
ENV NODE_VERSION 20.20.2
ADD node-usr-local.tar /
RUN node --version && npm --version
COPY docker-entrypoint.sh /usr/local/bin/
ENTRYPOINT ["docker-entrypoint.sh"]
CMD [ "node" ]
EOF
"${PM[@]}" build --format docker --layers=false -t "$NODE_IMG" "$NB" >"$LOGS/build-node.log" 2>&1 \
  || { tail -20 "$LOGS/build-node.log"; bad "build $NODE_IMG"; exit 1; }
V=$("${PM[@]}" run --rm "$NODE_IMG" sh -c 'echo "node $(node -v) npm $(npm -v) npx $(npx -v) debian $(cat /etc/debian_version)"' 2>&1 | nosd)
echo "$V"
case "$V" in "node v20.20."*" npm 10.8.2"*) ok "1: $NODE_IMG built in $(secs "$T")s: $V";; *) bad "1: node/npm check: $V";; esac

step "2. podman build of the project's Dockerfile"
cd "$P"
[ -z "$(git -C "$SRC" status --porcelain -- Dockerfile docker-compose.yml .dockerignore)" ] \
  || note "2: the checkout has uncommitted changes to the Dockerfile, docker-compose.yml or .dockerignore; the committed ones are tested"
if [ "$PLAIN_BUILD" = 1 ]; then
  T=$(date +%s)
  timeout 900 "${PM[@]}" build --no-cache --layers=false --format docker -t "$EMU_PLAIN_IMG" . >"$LOGS/build-plain.log" 2>&1
  RC=$?
  echo "plain build (no extra args): rc=$RC after $(secs "$T")s; relevant lines:"
  grep -E 'STEP|npm error|Error:' "$LOGS/build-plain.log" | grep -vE 'COPY|WORKDIR' | head -12
  if [ $RC -ne 0 ]; then
    bad "2a: plain build fails here (exit $RC, $(secs "$T")s): $(grep -m1 -o 'npm error Exit handler never called!' "$LOGS/build-plain.log") / $(grep -m1 -o 'npm error request to [^ ]* failed, reason: [^$]*' "$LOGS/build-plain.log")"
  else
    ok "2a: plain build succeeded in $(secs "$T")s"
  fi
fi
T=$(date +%s)
# shellcheck disable=SC2086
"${PM[@]}" build --no-cache --layers=false --format docker $CA_MOUNTS -t "$EMU_IMG" . >"$LOGS/build-emulator.log" 2>&1
RC=$?
grep -E 'added [0-9]+ packages|up to date|npm error|Error:|warning' "$LOGS/build-emulator.log" | head
if [ $RC -eq 0 ]; then
  ok "2b: Dockerfile builds with the host CA bind-mounted for RUN steps: $(secs "$T")s, $EMU_IMG $("${PM[@]}" images --format '{{.Size}}' "$EMU_IMG")"
else
  tail -20 "$LOGS/build-emulator.log"; bad "2b: build with CA mounts (exit $RC)"; exit 1
fi
echo "image HEALTHCHECK: $("${PM[@]}" image inspect "$EMU_IMG" --format '{{json .HealthCheck}}')"
U=$("${PM[@]}" image inspect "$EMU_IMG" --format '{{.Config.User}}')
[ "$U" = node ] && ok "2: the image runs as its unprivileged user: $U" || bad "2: image user is '$U', not node"
B=$("${PM[@]}" run --rm --entrypoint sh "$EMU_IMG" -c 'cd /app && for b in $(node -p "Object.values(require(\"./package.json\").bin).join(\" \")"); do [ -x "$b" ] || echo "$b"; done' 2>&1 | nosd)
[ -z "$B" ] && ok "2: the package bins in the image are executable" || bad "2: bins without the execute bit in the image: $B"

step "3. Azurite stand-in: $AZURITE_IMG"
T=$(date +%s)
echo "nc in the node base (what a plain node:20 bookworm-slim-based Azurite would have): $("${PM[@]}" run --rm "$NODE_IMG" sh -c 'command -v nc || echo none' 2>&1 | nosd)"
mkdir -p "$W/azurite"
cat >"$W/azurite/Containerfile" <<'EOF'
# Local stand-in for mcr.microsoft.com/azure-storage/azurite:3.35.0.
# The real image (Azure/Azurite v3.35.0 Dockerfile) is node:22-alpine3.21 + `npm install -g` of Azurite,
# so azurite, azurite-blob, ... are on PATH and BusyBox provides `nc`. Here: the local Debian node:20 base,
# azurite@3.35.0 from npm, and netcat-openbsd standing in for BusyBox nc (Debian's busybox nc has no -z).
FROM docker.io/library/node:20.20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends netcat-openbsd && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /opt/azurite
RUN npm install -g azurite@3.35.0 && npm cache clean --force
VOLUME [ "/data" ]
EXPOSE 10000
EXPOSE 10001
EXPOSE 10002
CMD ["azurite", "-l", "/data", "--blobHost", "0.0.0.0","--queueHost", "0.0.0.0", "--tableHost", "0.0.0.0"]
EOF
# shellcheck disable=SC2086
"${PM[@]}" build --format docker --layers=false $CA_MOUNTS -t "$AZURITE_IMG" "$W/azurite" >"$LOGS/build-azurite.log" 2>&1 \
  || { tail -20 "$LOGS/build-azurite.log"; bad "3: build $AZURITE_IMG"; exit 1; }
A=$("${PM[@]}" run --rm "$AZURITE_IMG" sh -c 'echo "azurite-blob $(azurite-blob --version) at $(command -v azurite-blob); nc at $(command -v nc)"' 2>&1 | nosd)
echo "$A"
case "$A" in *"azurite-blob 3.35.0"*"nc at /usr/bin/nc"*) ok "3: $AZURITE_IMG built in $(secs "$T")s ($("${PM[@]}" images --format '{{.Size}}' "$AZURITE_IMG")): $A";;
             *) bad "3: azurite stand-in check: $A";; esac
note "3: nc in the REAL mcr image (node:22-alpine3.21, BusyBox) cannot be checked here: no registry access"

step "4. podman-compose up -d --build"
T=$(date +%s)
"${PC[@]}" up -d --build >"$LOGS/compose-up.log" 2>&1
RC=$?
grep -E '^podman (run|build)' "$LOGS/compose-up.log" | cut -c1-400
grep -E 'Error|error' "$LOGS/compose-up.log" | nosd | grep -v 'no such volume' | head -5
N=$(wait_health "$API/_emulator/health" 90); HRC=$?
"${PM[@]}" ps --format '{{.Names}}  {{.Status}}  {{.Ports}}'
if [ $RC -eq 0 ] && [ $HRC -eq 0 ]; then ok "4: podman-compose up (build included) in $(secs "$T")s; emulator answered ${N}s after up returned"
else bad "4: podman-compose up rc=$RC, health wait rc=$HRC"; "${PM[@]}" logs "$EMU_CTR" 2>&1 | tail -20; fi
for c in "$AZ_CTR" "$EMU_CTR"; do
  echo "$c healthcheck as podman-compose passed it: $("${PM[@]}" inspect "$c" --format '{{json .Config.Healthcheck.Test}}')"
done

step "5. health, client round trip, verifications, restart, recreate, healthchecks"
H=$(curl -sS "$API/_emulator/health"); echo "GET /_emulator/health: $H"
case "$H" in *'"status":"healthy"'*'"storage":"up"'*) ok "5: /_emulator/health: $H";; *) bad "5: /_emulator/health: $H";; esac
T=$(date +%s)
npm ci >"$LOGS/host-npm-ci.log" 2>&1 && echo "host npm ci: $(secs "$T")s" || { tail "$LOGS/host-npm-ci.log"; bad "5: host npm ci"; }
# npm ci runs prepare (npm run build): the bins must be executable before npx ever links the project.
M=$(stat -c %A "$P/dist/client/src/cli/main.js")
case "$M" in -rwx*) ok "5: dist/client/src/cli/main.js after npm ci: $M";; *) bad "5: dist/client/src/cli/main.js after npm ci is $M: ams-client would be Permission denied";; esac
head -c 3000000 /dev/urandom >"$W/x.bin"
rm -f "$W/back.bin" "$W/back-restart.bin" "$W/back-recreate.bin" "$W/back-late.bin"
npx ams-client upload "$W/x.bin" --endpoint "$API/api/" --token dev --json >"$W/upload.json" 2>"$LOGS/upload.err"
cat "$W/upload.json"; echo
ASSET=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).assetId)' "$W/upload.json" 2>/dev/null)
[ -n "$ASSET" ] && ok "5: upload via ams-client: asset $ASSET" || { bad "5: upload: $(tail -3 "$LOGS/upload.err")"; }
download() { # out
  npx ams-client download --endpoint "$API/api/" --token dev --asset "$ASSET" --file x.bin --out "$1" 2>&1 | tail -2
  cmp "$W/x.bin" "$1"
}
download "$W/back.bin" && ok "5: download + cmp: identical ($(stat -c %s "$W/back.bin") bytes)" || bad "5: download/cmp"
V=$(curl -sS "$API/_emulator/verifications?wait=20")
echo "verifications: $(echo "$V" | cut -c1-400)"
case "$V" in *'"pending":0'*'"status":"verified"'*) ok "5: /_emulator/verifications?wait=20: pending 0, file verified";; *) bad "5: verifications: $(echo "$V" | cut -c1-300)";; esac

# restart: same container, same /data volume
T=$(date +%s)
"${PM[@]}" restart "$EMU_CTR" 2>&1 | nosd
N=$(wait_health "$API/_emulator/health" 60)
V2=$(curl -sS "$API/_emulator/verifications")
if download "$W/back-restart.bin" && echo "$V2" | grep -q "$ASSET"; then ok "5: restart ($(secs "$T")s, healthy after ${N}s): asset, verification record and blob still there"
else bad "5: state after restart"; fi

# the emulator started before its storage: it waits (bounded, with a message) instead of exiting.
T=$(date +%s)
"${PM[@]}" stop -t 5 "$AZ_CTR" 2>&1 | nosd
"${PM[@]}" restart "$EMU_CTR" 2>&1 | nosd
sleep 5
R=$("${PM[@]}" inspect "$EMU_CTR" --format '{{.State.Running}}')
W5=$("${PM[@]}" logs "$EMU_CTR" 2>&1 | grep -c 'waiting up to .* for the storage account')
"${PM[@]}" start "$AZ_CTR" 2>&1 | nosd
N=$(wait_health "$API/_emulator/health" 60); HRC=$?
if [ "$R" = true ] && [ "$W5" -ge 1 ] && [ $HRC -eq 0 ] && download "$W/back-late.bin"; then
  ok "5: emulator started without its Azurite: still running after 5 s, said it was waiting, healthy ${N}s after Azurite came up ($(secs "$T")s)"
else bad "5: late Azurite: running=$R waiting-lines=$W5 health-rc=$HRC"; "${PM[@]}" logs "$EMU_CTR" 2>&1 | tail -5; fi

# healthchecks. No systemd on this host, so podman cannot schedule them: run them by hand.
for c in "$AZ_CTR" "$EMU_CTR"; do
  OUT=$("${PM[@]}" healthcheck run "$c" 2>&1 | nosd); RC=$?
  ST=$("${PM[@]}" inspect "$c" --format '{{json .State.Health}}')
  echo "$c: podman healthcheck run rc=$RC $OUT; State.Health=$ST"
  if [ $RC -eq 0 ]; then ok "5: compose healthcheck of $c passes"
  else bad "5: compose healthcheck of $c fails under podman-compose: $(echo "$ST" | grep -o '"Output":"[^}]*' | head -1)"; fi
done
"${PM[@]}" exec "$AZ_CTR" nc -z 127.0.0.1 10000 && ok "5: nc -z 127.0.0.1 10000 inside the Azurite stand-in exits 0" || bad "5: nc -z in azurite"
# The Dockerfile's own HEALTHCHECK (compose overrides it): a by-hand container on the compose network.
"${PM[@]}" run -d --rm --name "$HC_CTR" --network "$NET" -e "AMS_EMULATOR_STORAGE_CONNECTION_STRING=$CS" \
  -e AMS_EMULATOR_PUBLIC_BLOB_ENDPOINT=http://127.0.0.1:10000/devstoreaccount1 "$EMU_IMG" 2>&1 | nosd
for i in $(seq 1 30); do "${PM[@]}" exec "$HC_CTR" node -e "fetch('http://127.0.0.1:10010/_emulator/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))" 2>/dev/null && break; sleep 1; done
OUT=$("${PM[@]}" healthcheck run "$HC_CTR" 2>&1 | nosd); RC=$?
echo "$HC_CTR: Config.Healthcheck=$("${PM[@]}" inspect "$HC_CTR" --format '{{json .Config.Healthcheck.Test}}') rc=$RC $OUT State.Health=$("${PM[@]}" inspect "$HC_CTR" --format '{{json .State.Health}}')"
[ $RC -eq 0 ] && ok "5: the image's own HEALTHCHECK (Dockerfile) passes: $("${PM[@]}" inspect "$HC_CTR" --format '{{.State.Health.Status}}')" || bad "5: image HEALTHCHECK rc=$RC $OUT"
"${PM[@]}" stop -t 5 "$HC_CTR" 2>&1 | nosd

# recreate: containers removed and created again, named volumes kept
T=$(date +%s)
"${PC[@]}" down >"$LOGS/compose-down.log" 2>&1
"${PC[@]}" up -d --no-build >"$LOGS/compose-up2.log" 2>&1
N=$(wait_health "$API/_emulator/health" 60)
if download "$W/back-recreate.bin"; then ok "5: down + up (containers recreated, volumes kept, $(secs "$T")s): asset still downloads, cmp identical"
else bad "5: state after recreate"; fi

step "sizes"
"${PM[@]}" images --format '{{.Repository}}:{{.Tag}}  {{.ID}}  {{.Size}}' | grep -E 'debian|node|azurite|ams' | sort -u

step "cleanup"
if [ "$KEEP_RUNNING" = 1 ]; then echo "KEEP_RUNNING=1: stack left up"
else
  "${PC[@]}" down >"$LOGS/compose-down-final.log" 2>&1
  "${PM[@]}" rm -f -v -t 2 "$HC_CTR" "$EMU_CTR" "$AZ_CTR" >/dev/null 2>&1
  "${PM[@]}" volume rm "${VOLS[@]}" >/dev/null 2>&1
  "${PM[@]}" network rm "$NET" >/dev/null 2>&1
  echo "containers left: $("${PM[@]}" ps -a --format '{{.Names}}' | grep -E "^(${EMU_CTR}|${AZ_CTR}|${HC_CTR})\$" || echo none); images kept"
fi

step "summary ($(secs "$T_ALL")s in all)"
printf '%s\n' "${RESULTS[@]}"
printf '%s\n' "${RESULTS[@]}" | grep -q '^FAIL' && exit 1
exit 0
