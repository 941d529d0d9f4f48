#!/usr/bin/env node
// The customer service of examples/async-enrichment.ts: `GET /customers/<id>` answers
// {id, name, tier} after 20 ms.   node examples/customer-service.mjs [port=8080]
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? 8080);
const TIERS = ['gold', 'silver', 'bronze'];
createServer((req, res) => {
  const m = /^\/customers\/(\d+)$/.exec(req.url ?? '');
  setTimeout(() => {
    if (!m) {
      res.statusCode = 404;
      return res.end();
    }
    const id = Number(m[1]);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ id, name: `customer ${id}`, tier: TIERS[id % TIERS.length] }));
  }, 20);
}).listen(port, '127.0.0.1', () => console.log(`customer service on http://127.0.0.1:${port}`));
