/** What every page gets from the shell: the API, the live stream, the admin and their rights. */
import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { Api } from "./api";
import type { EventStream } from "./events";
import type { Me, Right } from "./types";

export type ToastTone = "info" | "success" | "error";

export interface Session {
  api: Api;
  events: EventStream;
  me: Me;
  /** Signed in with an API token rather than a password. */
  viaToken: boolean;
  can(right: Right): boolean;
  /** Whether this admin holds the right the page at `path` needs (links to others stay text). */
  mayOpen(path: string): boolean;
  toast(message: string, tone?: ToastTone): void;
  signOut(): Promise<void>;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside the signed-in shell");
  return session;
}
