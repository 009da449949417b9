import { RestError } from '@azure/storage-blob';
import { AmsNetworkError, AmsRequestError, AmsResponseError, AmsTimeoutError, type AmsAuth } from '../rest/index.js';
import { AmsWorkflowError, type Leftover } from '../workflows/index.js';
import { CommandFailure, EXIT_INTERRUPTED, UsageError } from './errors.js';

/**
 * Turning what the library throws into the one line a user reads: what failed, in their terms
 * (the endpoint, the credentials, the asset), and what to do about it. Service messages and
 * request ids are kept; SAS URLs never appear (their query is a credential).
 */

export interface FailureContext {
  /** What the command was doing, e.g. `upload` or `ls assets`. */
  action: string;
  auth: AmsAuth;
  signal?: AbortSignal | undefined;
  /** Temporary entities that could not be deleted while the command was failing. */
  leftovers?: readonly Leftover[];
}

export function describeFailure(err: unknown, context: FailureContext): Error {
  if (err instanceof UsageError || err instanceof CommandFailure) return err;
  const leftovers = leftoverNote(context.leftovers ?? []);
  if (context.signal?.aborted) {
    return new CommandFailure(`interrupted: ${context.action} stopped before it finished${leftovers || '; its temporary SAS locator and access policy were removed'}`, EXIT_INTERRUPTED);
  }
  const message = describe(err, context);
  return message === undefined ? (err as Error) : new CommandFailure(`${message}${leftovers}`);
}

function describe(err: unknown, context: FailureContext): string | undefined {
  const { action, auth } = context;
  const tokenEndpoint = auth.kind === 'static' ? undefined : auth.tokenEndpoint;
  if (err instanceof AmsNetworkError || err instanceof AmsTimeoutError) {
    if (err.url === tokenEndpoint) return `cannot get a token: ${err.message}; check --token-endpoint (or AMS_TOKEN_ENDPOINT)`;
    return `cannot reach the AMS endpoint: ${err.message}; check --endpoint (or AMS_ENDPOINT) and that the service is running`;
  }
  if (err instanceof AmsRequestError) {
    if (err.url === tokenEndpoint) return tokenEndpointRefusal(err);
    if (err.status === 401) return `the AMS endpoint refused the credentials: ${err.message}; ${credentialsAdvice(auth)}`;
    if (err.status === 403) return `${action} is not allowed with these credentials: ${err.message}`;
    if (err.status === 429 || err.status === 503) return `${action} failed: the service is busy and still was after ${err.attempts} attempts: ${err.message}; try again later`;
    if (err.status >= 500) return `${action} failed: ${err.message}; the service failed, not the request: try again, and quote the x-ms-request-id if it persists`;
    return `${action} failed: ${err.message}`;
  }
  if (err instanceof AmsResponseError) return `${action} failed: ${err.message}; is --endpoint an AMS v2 REST endpoint?`;
  if (err instanceof AmsWorkflowError) return `${action} failed: ${err.message}`;
  if (err instanceof RestError) return `${action} failed: the blob storage request failed: ${storageProblem(err)}; check that the storage account of the AMS endpoint is reachable from here`;
  return undefined;
}

function tokenEndpointRefusal(err: AmsRequestError): string {
  const what = [err.code, err.serviceMessage].filter((part) => part !== undefined && part !== '').join(': ');
  if (err.status === 400 || err.status === 401) {
    return `the token endpoint ${err.url} refused the client credentials (HTTP ${err.status}${what ? ` ${what}` : ''}); check --client-id and --client-secret (or AMS_CLIENT_ID and AMS_CLIENT_SECRET)`;
  }
  if (err.status === 404 || err.status === 405) return `there is no token endpoint at ${err.url} (HTTP ${err.status}); check --token-endpoint (or AMS_TOKEN_ENDPOINT)`;
  return `cannot get a token: ${err.message}; try again, or check --token-endpoint`;
}

function credentialsAdvice(auth: AmsAuth): string {
  return auth.kind === 'static'
    ? 'get a fresh token for --token (or AMS_TOKEN), or use --client-id and --client-secret'
    : `the token from ${auth.tokenEndpoint} is not accepted here: check that the client credentials and the token endpoint belong to this AMS account`;
}

/** Status, storage error code and the first line of the message (the rest is request ids and times). */
function storageProblem(err: RestError): string {
  const firstLine = err.message.split('\n')[0]!.trim();
  const status = err.statusCode === undefined ? '' : `HTTP ${err.statusCode} `;
  const code = err.code && !firstLine.includes(err.code) ? `${err.code}: ` : '';
  return `${status}${code}${firstLine}`;
}

function leftoverNote(leftovers: readonly Leftover[]): string {
  if (leftovers.length === 0) return '';
  const list = leftovers.map((l) => `${l.entitySet}('${l.id}')`).join(' and ');
  return `; also, ${list} could not be deleted: delete ${leftovers.length === 1 ? 'it' : 'them'} by hand (a SAS locator stays usable until it expires)`;
}
