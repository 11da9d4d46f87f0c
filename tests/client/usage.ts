/*
 * The documented client usage (COMPAT.md, Pegasus's docs), type-checked by tsc and run by
 * client.test.mjs against the real suite. Keep the bodies as the docs write them.
 */
import { Configuration, PegasusApi, ApiApi, DepartmentEnum, ResponseError, type Employee } from '../../api-client/src/index.js';

/** COMPAT.md, verbatim: session cookie plus X-CSRFToken. */
export function documentedUsage(csrf: string, basePath = 'http://localhost:8000', log: (x: unknown) => void = console.log) {
  const apiConfig = new Configuration({ basePath, headers: { 'X-CSRFToken': csrf } });
  const client = new PegasusApi(apiConfig);
  return client.employeesList().then((result) => log(result.results));
}

/** Pegasus's employee app (App.jsx), as typescript-fetch request objects. */
export async function pegasusApp(basePath: string, accessToken: string): Promise<Employee[]> {
  const client = new PegasusApi(new Configuration({ basePath, accessToken }));
  const created = await client.employeesCreate({ employee: { name: 'Michael Scott', department: DepartmentEnum.Sales, salary: 60000 } });
  await client.employeesPartialUpdate({ id: created.id, patchedEmployee: { salary: 65000 } });
  await client.employeesDestroy({ id: created.id });
  try {
    await client.employeesRetrieve({ id: created.id });
    throw new Error('a destroyed employee was still there');
  } catch (error) {
    if (!(error instanceof ResponseError) || error.status !== 404) throw error;
    await error.response.json(); // typescript-fetch callers read the body this way
  }
  return (await client.employeesList()).results;
}

/** The API key usage of Pegasus's docs ("Testing API keys"), as typescript-fetch takes it. */
export function withApiKey(basePath: string, key: string) {
  return new PegasusApi(new Configuration({ basePath, apiKey: `Api-Key ${key}` })).employeesList();
}

export const apiApi = (basePath: string) => new ApiApi(new Configuration({ basePath }));
