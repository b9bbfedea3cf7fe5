// Who is signed in (OIDC login only): their name and a sign-out button in the bar. Without OIDC the server
// has no /auth/session and both stay hidden.
export async function showSession(): Promise<void> {
  const res = await fetch("/auth/session", { headers: { accept: "application/json" }, cache: "no-store" });
  if (!res.ok) return;
  const s = (await res.json()) as { name: string; expiresAt: string; logout: string };
  const who = document.querySelector<HTMLElement>("#who")!;
  who.textContent = s.name;
  who.title = `signed in until ${new Date(s.expiresAt).toLocaleString()}`;
  who.hidden = false;
  const form = document.querySelector<HTMLFormElement>("#logout")!;
  form.action = s.logout;
  form.hidden = false;
}
