import { homedir } from 'node:os'
import { join, resolve } from 'node:path'

/** The files a node keeps under its home directory. */
export interface Home {
  dir: string
  identity: string
  apiSocket: string
  pidFile: string
  modules: string
  /** The private cluster's key, used by `ww start` when present (--swarm-key names another). */
  swarmKey: string
  /** What remote peers may do (policy-file.ts); --policy names another. */
  policy: string
  /** The pid counter: the first pid not yet reserved. */
  pids: string
  /** The web console's URL, token included (mode 0600), while a node started with --ui runs. */
  uiUrl: string
  /** The deployment records this host keeps (deployments/records-file.ts). */
  deployments: string
}

/** `--home DIR`, else `$WW_HOME`, else `~/.ww`. */
export function resolveHome (flag?: string, env: NodeJS.ProcessEnv = process.env): Home {
  const dir = resolve(flag ?? env.WW_HOME ?? join(homedir(), '.ww'))
  return {
    dir,
    identity: join(dir, 'identity'),
    apiSocket: join(dir, 'api.sock'),
    pidFile: join(dir, 'ww.pid'),
    modules: join(dir, 'modules'),
    swarmKey: join(dir, 'swarm.key'),
    policy: join(dir, 'policy.toml'),
    pids: join(dir, 'pids'),
    uiUrl: join(dir, 'ui.url'),
    deployments: join(dir, 'deployments')
  }
}
