# One image for every Fluss daemon: `fluss jobmanager` or `fluss taskmanager`.
FROM node:20-slim
WORKDIR /opt/fluss
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY proto ./proto
COPY src ./src
COPY bin ./bin
# `npm install` builds dist/ (with the dashboard in dist/web) through the prepare script, then the
# dev dependencies go. The data and temp directories belong to the unprivileged user.
RUN npm install --no-audit --no-fund && npm prune --omit=dev \
 && mkdir -p /data/fluss /tmp/fluss && chown -R node:node /data/fluss /tmp/fluss
ENV PATH="/opt/fluss/bin:${PATH}" NODE_ENV=production
USER node
VOLUME ["/data/fluss"]
# 6123 JobManager RPC, 8081 REST API and dashboard, 6122 TaskManager RPC and data.
EXPOSE 6123 8081 6122
ENTRYPOINT ["fluss"]
CMD ["jobmanager"]
