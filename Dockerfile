# ams-v2-emulator: the AMS v2 emulator, talking to an Azurite given by connection string
# (see docker-compose.yml). Node 20: the engine the project and Azurite 3.35.0 support.
FROM node:20.20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Sources are not here yet, so skip `prepare` (tsc) during install and build explicitly below.
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY client ./client
COPY emulator ./emulator
COPY conformance ./conformance
COPY vectors ./vectors
COPY bench ./bench
COPY types ./types
COPY scripts ./scripts
# The project's own build (tsc from node_modules, then the bins made executable), not a bare tsc
# through npm exec, which fetches an unrelated package named "tsc" when `npm ci` failed silently.
RUN npm run build && npm prune --omit=dev

FROM node:20.20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production \
    AMS_EMULATOR_HOST=0.0.0.0 \
    AMS_EMULATOR_PORT=10010 \
    AMS_EMULATOR_LOCATION=/data
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/vectors ./vectors
# The image's unprivileged user; a new named volume on /data takes this directory's owner.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 10010
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=12 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.AMS_EMULATOR_PORT||10010)+'/_emulator/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/emulator/src/cli.js"]
