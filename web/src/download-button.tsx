import { useState } from 'react';
import { type ApiError, download } from './api/client';
import { ErrorNotice } from './components';
import { saveFile } from './save-file';

/** A file the API makes, saved under `name`; `text` is what the button says, `label` what it says to a reader. */
export function DownloadButton({
  path,
  name,
  text,
  label,
}: {
  path: string;
  name: string;
  text: string;
  label: string;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const save = async () => {
    setBusy(true);
    setError(null);
    try {
      saveFile(await download(path), name);
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button
        type="button"
        className="secondary small"
        onClick={() => void save()}
        disabled={busy}
        aria-label={label}
      >
        {busy ? 'Downloading…' : text}
      </button>
      {error && <ErrorNotice error={error} />}
    </>
  );
}
