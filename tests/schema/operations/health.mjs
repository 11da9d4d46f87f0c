// schema-svc operations.
// See ../operations.mjs for the contract of an entry.

export default {

  api_health_retrieve: async (c) => {
    const r = await c.call('api_health_retrieve', { expect: 200 });
    if (r.body.services.length === 0) c.fail('health lists no service');
  },
};
