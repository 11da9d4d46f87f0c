// How api-client/src/generated/ is made from the OpenAPI document (tools/api-client-gen.mjs sets
// `input` and `output.path`). Class per tag, camelCased operationIds and one request object per
// call, as OpenAPI Generator's typescript-fetch writes them: new PegasusApi(...).employeesList({page}).
export default {
  input: 'openapi.json',
  output: { path: 'src/generated', clean: true, tsConfigPath: null, module: { extension: '.js' } },
  logs: { level: 'warn', file: false },
  plugins: [
    { name: '@hey-api/client-fetch', throwOnError: true },
    { name: '@hey-api/typescript', enums: { mode: 'javascript', case: 'PascalCase' } },
    {
      name: '@hey-api/sdk',
      operations: { strategy: 'byTags', containerName: '{{name}}Api', methods: 'instance' },
      responseStyle: 'data',
      paramsStructure: 'flat',
    },
  ],
};
