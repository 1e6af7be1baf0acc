// Capabilities in a List(Interface) field. The stub generator covers single capability fields
// (`<Struct>$Caps`) but not lists of them, so the suite reaches one level down, to the hooks.
import type * as capnp from 'capnp-es'
import { utils } from 'capnp-es'
import type { Capability, ClientClass } from '../../../src/rpc/index.js'
import { ErrorHook, addCap, capAt } from '../../../src/rpc/hooks.js'
import { InvalidArgument } from '../../../src/errors.js'

/** Element i as a borrowed client (valid while the message is; dup() to keep). */
export function capListGet<C extends Capability> (list: capnp.List<capnp.Interface>, i: number, Client: ClientClass<C>): C {
  const hook = capAt(list.get(i))
  return new Client(hook ?? new ErrorHook(new InvalidArgument('null capability')), false)
}

/** Stores a reference of the message's own at element i; `cap` stays the caller's. */
export function capListSet (list: capnp.List<capnp.Interface>, i: number, cap: Capability): void {
  const p = list.get(i)
  utils.setInterfacePointer(addCap(p.segment.message, cap.hook.addRef()), p)
}
