/*
 * The apibus TypeScript client: the generated models and API classes (src/generated/, made by
 * `make api-client` from the OpenAPI document; never edited by hand), with the small adapter in
 * compat.ts that gives them typescript-fetch's Configuration and request objects. One line per
 * tag of the document below; tests/client/ fails when a generated *Api class has none.
 */
import * as gen from './generated/index.js';
import { compatApi } from './compat.js';

export * from './generated/types.gen.js';
export { Configuration, ResponseError, FetchError, compatApi, type ConfigurationParameters, type CompatApi } from './compat.js';

/** Tag `api`: accounts and tokens (/api/auth/), API keys (/api/keys/), health. */
export const ApiApi = compatApi(gen.ApiApi);
export type ApiApi = InstanceType<typeof ApiApi>;
/** Tag `pegasus`: the employees example app (/pegasus/employees/api/). */
export const PegasusApi = compatApi(gen.PegasusApi);
export type PegasusApi = InstanceType<typeof PegasusApi>;
