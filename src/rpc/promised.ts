// A capability that stands for one not known yet (a dial in progress, a lookup): calls made on it
// queue in order and flow to the real capability once it is there, or fail with its error.
import { type Capability, type ClientClass } from './capability.js'
import { ErrorHook, PromiseHook } from './hooks.js'

/** An owned reference usable at once; `pending` resolves to the capability it becomes (taken over). */
export function promisedCapability<C extends Capability> (Client: ClientClass<C>, pending: Promise<Capability>): C {
  const hook = new PromiseHook()
  pending.then(cap => {
    hook.resolve(cap.hook.addRef())
    cap.release()
  }, (err: Error) => {
    hook.resolve(new ErrorHook(err))
  })
  return new Client(hook)
}
