// Labels in the page's language (<html lang>, set by the server from ?lang= or the cookie):
// Chinese with English beside it by default, English alone when lang is "en".
export const english = () => document.documentElement.lang.startsWith("en");

// Plain text: "中文 English", or "English".
export function tr(zh, en) {
  return english() ? en : `${zh} ${en}`;
}

// HTML (the caller's texts are trusted literals, not data): the English part in a lighter span.
export function trHtml(zh, en) {
  return english() ? en : `${zh} <span class="en">${en}</span>`;
}
