import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** `../shared/models/potion-base-2M-int8` next to the repository: developers and CI have it, users do not. */
export const POTION_DIR = fileURLToPath(new URL("../../../../../shared/models/potion-base-2M-int8", import.meta.url));

/** The shared potion folder; fails (never skips) when it is missing, so CI cannot pass without testing it. */
export function requirePotion(): string {
  if (!existsSync(`${POTION_DIR}/tokenizer.json`) || !existsSync(`${POTION_DIR}/model.int8.safetensors`)) {
    throw new Error(
      `The shared model folder ${POTION_DIR} is missing (expected tokenizer.json and model.int8.safetensors). ` +
        `These tests need ../shared/models next to the repository; developers and CI have it. Do not copy it into the repo.`,
    );
  }
  return POTION_DIR;
}
