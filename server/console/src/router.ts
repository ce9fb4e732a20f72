/**
 * A small history router: the address is the state. Links push a new entry (Back returns to
 * the page before); a page keeps its filters in the query string, so a reload or a shared link
 * shows the same thing.
 */
import { useEffect, useState } from "preact/hooks";

const listeners = new Set<() => void>();
window.addEventListener("popstate", () => {
  for (const listener of listeners) listener();
});

export interface NavigateOptions {
  /** Change the current entry instead of adding one (typing in a filter, redirects). */
  replace?: boolean;
}

export function navigate(to: string, options: NavigateOptions = {}): void {
  if (to === location.pathname + location.search) return;
  if (options.replace) history.replaceState(null, "", to);
  else history.pushState(null, "", to);
  for (const listener of listeners) listener();
  if (!options.replace) window.scrollTo(0, 0);
}

export interface Location {
  path: string;
  search: URLSearchParams;
}

export function useLocation(): Location {
  const read = () => ({ path: location.pathname, search: new URLSearchParams(location.search) });
  const [current, setCurrent] = useState<Location>(read);
  useEffect(() => {
    const update = () =>
      setCurrent((shown) =>
        shown.path === location.pathname && `?${shown.search}` === (location.search || "?") ? shown : read(),
      );
    listeners.add(update);
    // The address may have changed between the first render and this effect.
    update();
    return () => {
      listeners.delete(update);
    };
  }, []);
  return current;
}

/**
 * The address with these query parameters changed (null or "" removes one), the others kept,
 * on the current path.
 */
export function withSearchParams(changes: Record<string, string | null | undefined>): string {
  const search = new URLSearchParams(location.search);
  for (const [name, value] of Object.entries(changes)) {
    if (value === null || value === undefined || value === "") search.delete(name);
    else search.set(name, value);
  }
  const text = search.toString();
  return `${location.pathname}${text ? `?${text}` : ""}`;
}

/**
 * Sets query parameters of the current page. Replaces the entry by default (what is being
 * typed or clicked through should not fill the history); `{ replace: false }` adds one, for a
 * change the admin may want to go Back from (applying a filter form).
 */
export function setSearchParams(
  changes: Record<string, string | null | undefined>,
  options: NavigateOptions = { replace: true },
): void {
  navigate(withSearchParams(changes), { replace: options.replace ?? true });
}

/**
 * One query parameter as state: `[value, set]`, "" when absent. `set` writes it into the
 * address (replacing the entry unless told otherwise) and every reader re-renders.
 */
export function useSearchParam(
  name: string,
): [string, (value: string | null, options?: NavigateOptions) => void] {
  const { search } = useLocation();
  const value = search.get(name) ?? "";
  const set = (next: string | null, options: NavigateOptions = { replace: true }) =>
    setSearchParams({ [name]: next }, options);
  return [value, set];
}

/** Click handler for <a href> that stays in the page (ctrl/cmd-click still opens a tab). */
export function linkClick(event: MouseEvent): void {
  const anchor = event.currentTarget as HTMLAnchorElement;
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey)
    return;
  event.preventDefault();
  navigate(anchor.getAttribute("href") ?? "/");
}
