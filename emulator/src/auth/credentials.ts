/**
 * The well-known development credentials, like Azurite's devstoreaccount1: fixed, documented, for
 * local use only. `--auth any` accepts any client id and secret; `--auth strict` only these.
 */
export const DEV_CLIENT_ID = 'devmediaaccount1';
export const DEV_CLIENT_SECRET = 'Zm9yLWxvY2FsLXRlc3Rpbmctb25seS1hbXMtdjItZW11bGF0b3I=';
export const DEV_TENANT = 'devtenant';

/** Audiences of the two token eras: ACS scope, and the Azure AD resource of Media Services. */
export const ACS_SCOPE = 'urn:WindowsAzureMediaServices';
export const AAD_RESOURCE = 'https://rest.media.azure.net';
export const TOKEN_ISSUER = 'https://ams-v2-emulator.local/';
export const TOKEN_LIFETIME_SECONDS = 3600;
