import { existsSync, readFileSync } from 'node:fs';
import { delimiter } from 'node:path';
import { AppsV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';

const SERVICE_ACCOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

/** The API's view of one cluster: clients for the calls the fleet makes, and the pools' namespace. */
export interface Kube {
  core: CoreV1Api;
  apps: AppsV1Api;
  namespace: string;
  /** Where the configuration came from, for the start log line (never a credential). */
  source: string;
  /** The API server's URL, for messages. */
  server: string;
}

export type KubeLoad = { kube: Kube } | { kube: undefined; reason: string };

/**
 * In-cluster configuration (a pod's service account), else the file(s) in KUBECONFIG, else off.
 * Never ~/.kube/config: an API started by hand on a workstation must not start scaling whatever
 * cluster its user last talked to.
 */
export function loadKube(env: { fleet: 'auto' | 'off'; namespace: string | undefined }, vars: NodeJS.ProcessEnv = process.env): KubeLoad {
  if (env.fleet === 'off') return { kube: undefined, reason: 'ARCHWAY_FLEET=off' };
  const kc = new KubeConfig();
  let source: string;
  let namespace = env.namespace;
  if (vars.KUBERNETES_SERVICE_HOST && existsSync(`${SERVICE_ACCOUNT}/token`)) {
    kc.loadFromCluster();
    source = 'in-cluster service account';
    namespace ??= readNamespace();
  } else if (vars.KUBECONFIG) {
    try {
      // As kubectl: the first file gives the current context, the others add to it.
      const [first, ...rest] = vars.KUBECONFIG.split(delimiter).filter(Boolean);
      kc.loadFromFile(first!);
      for (const file of rest) {
        const more = new KubeConfig();
        more.loadFromFile(file);
        kc.mergeConfig(more, true);
      }
    } catch (err) {
      return { kube: undefined, reason: `KUBECONFIG (${vars.KUBECONFIG}) could not be read: ${(err as Error).message}` };
    }
    if (!kc.getCurrentCluster()) return { kube: undefined, reason: `KUBECONFIG (${vars.KUBECONFIG}) has no current context with a cluster` };
    source = `KUBECONFIG context ${kc.getCurrentContext()}`;
    namespace ??= kc.getContextObject(kc.getCurrentContext())?.namespace;
  } else {
    return { kube: undefined, reason: 'not in a cluster (no KUBERNETES_SERVICE_HOST and service account token) and KUBECONFIG is unset' };
  }
  return {
    kube: {
      core: kc.makeApiClient(CoreV1Api),
      apps: kc.makeApiClient(AppsV1Api),
      namespace: namespace ?? 'archway',
      source,
      server: kc.getCurrentCluster()?.server ?? 'unknown',
    },
  };
}

function readNamespace(): string | undefined {
  try {
    return readFileSync(`${SERVICE_ACCOUNT}/namespace`, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
