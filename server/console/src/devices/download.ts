/**
 * Downloads a file from the API with the console's credential (the session cookie, or the
 * tab's API token, which a plain link could not send) and hands it to the browser as a file
 * under the name the server gives it.
 */
import { type Api, ApiError } from "../api";

export async function downloadCsv(api: Api, path: string): Promise<void> {
  const headers: Record<string, string> = { accept: "text/csv" };
  const token = api.token;
  if (token) headers.authorization = `Bearer ${token}`;
  let response: Response;
  try {
    response = await fetch(`/api/v1${path}`, { headers, credentials: "same-origin" });
  } catch {
    throw new ApiError(0, "network", "The server cannot be reached. Check the connection and try again.");
  }
  if (!response.ok) {
    const body = (await response.json().catch(() => null)) as {
      error?: { code?: string; message?: string };
    } | null;
    throw new ApiError(
      response.status,
      body?.error?.code ?? `http_${response.status}`,
      body?.error?.message ?? `the export failed with ${response.status}`,
    );
  }
  const disposition = response.headers.get("content-disposition") ?? "";
  const filename = /filename="([^"]+)"/.exec(disposition)?.[1] ?? "devices.csv";
  const url = URL.createObjectURL(await response.blob());
  try {
    const link = document.createElement("a");
    link.href = url;
    link.download = filename;
    document.body.append(link);
    link.click();
    link.remove();
  } finally {
    // After the click has handed the file over; revoking at once can cancel it in some browsers.
    window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }
}
