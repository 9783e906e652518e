// minio-js imports only the WHATWG classes from 'url' (IamAwsProvider,
// AssumeRoleProvider); @jspm/core's url polyfill lacks URLSearchParams.
export const URL = globalThis.URL
export const URLSearchParams = globalThis.URLSearchParams
export default { URL, URLSearchParams }
