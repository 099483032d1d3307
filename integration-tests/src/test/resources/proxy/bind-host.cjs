// Preloaded into server-everything (node -r) so each simulated pod listens on its own loopback address, HOST
// (127.0.0.2, 127.0.0.3, ...), like pods that share a port but not an IP. Without HOST nothing changes.
'use strict';
const net = require('node:net');
const host = process.env.HOST;
if (host) {
  const listen = net.Server.prototype.listen;
  net.Server.prototype.listen = function (...args) {
    if (typeof args[0] === 'number' || (typeof args[0] === 'string' && /^\d+$/.test(args[0]))) {
      const port = Number(args[0]);
      const callback = typeof args[args.length - 1] === 'function' ? args[args.length - 1] : undefined;
      return listen.call(this, { port, host }, callback);
    }
    return listen.apply(this, args);
  };
}
