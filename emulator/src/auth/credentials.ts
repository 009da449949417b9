/**
 * The well-known development credentials, like Azurite's devstoreaccount1: fixed, documented, for
 * local use only. `--auth any` accepts any client id and secret; `--auth strict` only these.
 */
export const DEV_CLIENT_ID = 'devmediaaccount1';
export const DEV_CLIENT_SECRET = 'Zm9yLWxvY2FsLXRlc3Rpbmctb25seS1hbXMtdjItZW11bGF0b3I=';
export const DEV_TENANT = 'devtenant';
/**
 * The media account's id (a GUID, fixed like the name): what the service put in notifications'
 * AccountId and the webhook header ms-mediaservices-accountid, and keyed EncodingReservedUnitTypes by.
 */
export const DEV_ACCOUNT_ID = '6f6e1c5a-0b1e-4d7a-9c3e-2d6d65766d61';

/** Audiences of the two token eras: ACS scope, and the Azure AD resource of Media Services. */
export const ACS_SCOPE = 'urn:WindowsAzureMediaServices';
export const AAD_RESOURCE = 'https://rest.media.azure.net';
export const TOKEN_ISSUER = 'https://ams-v2-emulator.local/';
export const TOKEN_LIFETIME_SECONDS = 3600;
