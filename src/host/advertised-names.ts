// Which endpoint names this host's record lists: the cluster layer's AdvertisedNames (it lists topics the same way).
export { AdvertisedNames } from '../cluster/advertised-names.js'
