// Deployments' desired state: signed records, the store, placement, and how records travel. No Cap'n Proto here.
export { deployLimits, deploySyncLimits } from './limits.js'
export { checkDeploymentName, checkReplicas, checkSpec, signDeployment, supersedes, verifyDeployment, type DeploymentRecord, type DeploymentSpec, type SignedDeployment } from './record.js'
export { DeploymentStore, type ApplyOutcome } from './store.js'
export { place, placeAll, share, type Placement, type PlacementHost } from './placement.js'
export { DeploymentGossip } from './gossip.js'
