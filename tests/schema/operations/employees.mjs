// Employees operations: user 1 creates, user 2 must not see them.
// See ../operations.mjs for the contract of an entry.

export default {
  employees_create: async (c, state) => {
    const r = await c.call('employees_create', {
      auth: c.user(1), body: { name: 'Ada', department: 'engineering', salary: '120000' }, expect: 201,
    });
    state.employee = r.body.id;
    await c.call('employees_create', { auth: c.user(1), body: { name: 'Bob', department: 'hr', salary: 50000 }, expect: 201 });
    await c.call('employees_create', { auth: c.user(1), body: { department: 'space' }, expect: 400 });
  },

  employees_list: async (c) => {
    const r = await c.call('employees_list', { auth: c.user(1), expect: 200 });
    if (r.body.count < 2) c.fail(`employees_list: count ${r.body.count}`);
    await c.call('employees_list', { auth: c.user(1), query: { page: '999' }, expect: 404 });
  },

  employees_retrieve: async (c, state) => {
    await c.call('employees_retrieve', { auth: c.user(1), params: { id: state.employee }, expect: 200 });
    await c.call('employees_retrieve', { auth: c.user(2), params: { id: state.employee }, expect: 404 });
  },

  employees_update: async (c, state) => {
    await c.call('employees_update', {
      auth: c.user(1), params: { id: state.employee }, body: { name: 'Ada L.', department: 'engineering', salary: 130000 },
      expect: 200,
    });
    await c.call('employees_update', { auth: c.user(1), params: { id: state.employee }, body: { name: 'x' }, expect: 400 });
  },

  employees_partial_update: async (c, state) => {
    await c.call('employees_partial_update', { auth: c.user(1), params: { id: state.employee }, body: { salary: 1 }, expect: 200 });
    await c.call('employees_partial_update', { auth: c.user(1), params: { id: 987654 }, body: { salary: 1 }, expect: 404 });
  },

  employees_aggregate_data: async (c) => {
    await c.call('employees_aggregate_data', { auth: c.user(1), expect: 200 });
  },

  employees_destroy: async (c, state) => {
    await c.call('employees_destroy', { auth: c.user(1), params: { id: state.employee }, expect: 204 });
    await c.call('employees_destroy', { auth: c.user(1), params: { id: state.employee }, expect: 404 });
  },
};
