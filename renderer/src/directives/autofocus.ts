import type { Directive } from 'vue'

/**
 * `v-autofocus`: focus the first input inside the element once it becomes visible — unless the
 * user has already put the cursor into a form field by then.
 *
 * Vuetify's own `autofocus` prop focuses when an IntersectionObserver fires, after the dialog's
 * enter transition; on a busy machine that is late enough to pull the cursor out of the field
 * the user started typing in, sending the rest of their text into the wrong field.
 */
const observers = new WeakMap<HTMLElement, IntersectionObserver>()

function typingSomewhere(): boolean {
  const active = document.activeElement
  return (
    active instanceof HTMLElement && active.matches('input, textarea, select, [contenteditable]')
  )
}

export const vAutofocus: Directive<HTMLElement> = {
  mounted(el) {
    const input = el.matches('input, textarea') ? el : el.querySelector('input, textarea')
    if (!(input instanceof HTMLElement)) return
    const observer = new IntersectionObserver((entries) => {
      if (!entries.some((e) => e.isIntersecting)) return
      observer.disconnect()
      // after the overlay has finished its enter setup (it hides the content while measuring)
      setTimeout(() => {
        if (!typingSomewhere()) input.focus()
      }, 50)
    })
    observer.observe(el)
    observers.set(el, observer)
  },
  unmounted(el) {
    observers.get(el)?.disconnect()
    observers.delete(el)
  }
}

declare module 'vue' {
  interface GlobalDirectives {
    vAutofocus: typeof vAutofocus
  }
}
