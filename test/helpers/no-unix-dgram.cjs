// Preloaded with `node --require` in tests: makes the unix-dgram addon fail to load the way a missing native build
// does, so the engine's fallback to systemd-notify runs for real.
const Module = require('node:module');
const load = Module._load;
Module._load = function (request, ...rest) {
  if (request === 'unix-dgram') throw new Error('Could not locate the bindings file (unix_dgram.node): removed by the test');
  return load.call(this, request, ...rest);
};
