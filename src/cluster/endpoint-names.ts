// Endpoint names: what a host may advertise in its record and what a lookup may ask for.
import { InvalidArgument } from '../errors.js'
import { clusterLimits } from './limits.js'

const NAME = /^[A-Za-z0-9._-]+$/

/** Checks an endpoint name (1..maxEndpointNameBytes of letters, digits, '.', '_', '-') and returns it. */
export function checkEndpointName (name: string): string {
  if (name === '') throw new InvalidArgument('an endpoint name cannot be empty')
  if (name.length > clusterLimits.maxEndpointNameBytes) {
    throw new InvalidArgument(`endpoint name ${JSON.stringify(name.slice(0, 16) + '...')} is ${name.length} bytes, over ${clusterLimits.maxEndpointNameBytes} (maxEndpointNameBytes)`)
  }
  if (!NAME.test(name)) throw new InvalidArgument(`bad endpoint name ${JSON.stringify(name)}: use letters, digits, '.', '_' and '-'`)
  return name
}
