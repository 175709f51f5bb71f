// Errors as OpenAI's API returns them: { error: { message, type, param, code } } with a status.

export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly type = 'invalid_request_error', readonly param: string | null = null, readonly code: string | null = null) {
    super(message);
  }
}

export interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export function errorBody(e: ApiError): ErrorBody {
  return { error: { message: e.message, type: e.type, param: e.param, code: e.code } };
}

export const badRequest = (message: string, param: string | null = null, code: string | null = null) => new ApiError(400, message, 'invalid_request_error', param, code);

/** A Fastify error (validation, JSON parsing, body size …) or anything thrown, as an ApiError. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const e = err as { statusCode?: number; code?: string; message?: string; validation?: { instancePath?: string; params?: { missingProperty?: string; additionalProperty?: string } }[]; validationContext?: string };
  if (e.validation && e.validation.length > 0) {
    const v = e.validation[0];
    const path = (v.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
    const extra = v.params?.additionalProperty;
    if (extra !== undefined) { // as OpenAI words it, naming the field (Ajv says only "must NOT have additional properties")
      const at = path ? `${path}.${extra}` : extra;
      return new ApiError(400, `unrecognized request argument supplied: ${at}`, 'invalid_request_error', at, 'unknown_parameter');
    }
    const param = path || v.params?.missingProperty || null;
    return new ApiError(400, e.message ?? 'invalid request', 'invalid_request_error', param, 'invalid_value');
  }
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError(413, e.message ?? 'request body too large', 'invalid_request_error', null, 'body_too_large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError(415, e.message ?? 'unsupported content type: send application/json', 'invalid_request_error', null, 'unsupported_media_type');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiError(400, 'the request body is empty: send a JSON object', 'invalid_request_error', null, 'invalid_json');
  }
  if (e instanceof SyntaxError || e.code === 'FST_ERR_CTP_INVALID_JSON_BODY') return new ApiError(400, `the request body is not valid JSON: ${e.message}`, 'invalid_request_error', null, 'invalid_json');
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) return new ApiError(e.statusCode, e.message ?? 'bad request');
  return new ApiError(500, `internal error: ${e.message ?? String(err)}`, 'server_error');
}
