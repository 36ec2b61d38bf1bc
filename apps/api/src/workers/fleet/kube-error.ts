import { ApiException } from '@kubernetes/client-node';

/** The `Status` object a Kubernetes API server answers errors with (the fields we read). */
interface Status {
  message?: string;
  reason?: string;
  code?: number;
}

function statusOf(err: unknown): { code: number | undefined; status: Status } {
  if (!(err instanceof ApiException)) return { code: undefined, status: {} };
  let body: unknown = err.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      body = { message: body };
    }
  }
  return { code: err.code, status: (body && typeof body === 'object' ? body : {}) as Status };
}

export function kubeErrorCode(err: unknown): number | undefined {
  return statusOf(err).code;
}

/**
 * One line for an error of the call `what` (`patch statefulsets/scale archway-agent-arm64`):
 * 403 names the RBAC rule missing (deploy/kubernetes/base/rbac.yaml grants it), 404 the object,
 * 409 the concurrent change; anything else the server's message or the connection failure.
 */
export function describeKubeError(err: unknown, call: { verb: string; resource: string; group: string; name?: string; namespace?: string }): string {
  const { code, status } = statusOf(err);
  const target = `${call.resource}${call.name ? ` ${call.name}` : ''}${call.namespace ? ` in namespace ${call.namespace}` : ''}`;
  const server = status.message ? `: ${status.message}` : '';
  if (code === 403) {
    const rule = `${call.verb} on ${call.resource}${call.group ? ` (API group ${call.group})` : ' (core API group)'}${call.name ? ` with resourceNames [${call.name}]` : ''}`;
    return `403 Forbidden ${call.verb} ${target}: the API's ServiceAccount lacks the RBAC rule ${rule}${server}`;
  }
  if (code === 404) return `404 Not Found ${call.verb} ${target}: it does not exist (deleted or renamed?)${server}`;
  if (code === 409) return `409 Conflict ${call.verb} ${target}: changed concurrently since it was read; looking again next round${server}`;
  if (code === 401) return `401 Unauthorized ${call.verb} ${target}: the credentials were refused${server}`;
  if (code !== undefined) return `${code} ${status.reason ?? 'error'} ${call.verb} ${target}${server}`;
  return `${call.verb} ${target} failed: ${(err as Error)?.message ?? String(err)}`;
}
