# One image for every Fluss daemon: `fluss jobmanager` or `fluss taskmanager`.
FROM node:20-slim
WORKDIR /opt/fluss
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY proto ./proto
COPY src ./src
COPY bin ./bin
RUN npm ci --no-audit --no-fund && npm prune --omit=dev \
 && mkdir -p /data/fluss && chown -R node:node /data/fluss
ENV PATH="/opt/fluss/bin:${PATH}"
USER node
VOLUME ["/data/fluss"]
EXPOSE 6123 8081
ENTRYPOINT ["fluss"]
CMD ["jobmanager"]
