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
RUN npx tsc -p tsconfig.build.json && npm prune --omit=dev

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
VOLUME /data
EXPOSE 10010
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=12 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.AMS_EMULATOR_PORT||10010)+'/_emulator/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/emulator/src/cli.js"]
