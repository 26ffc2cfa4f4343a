// ESLint: typescript-eslint's recommended rules for strict code, and Effect's own
// formatting (the @effect/dprint rule, configured as Effect-TS/effect v3 does).
// `npm run lint` checks, `npm run lint:fix` fixes and formats in place.
import * as effectEslint from "@effect/eslint-plugin"
import js from "@eslint/js"
import globals from "globals"
import tseslint from "typescript-eslint"

export default tseslint.config(
  {
    ignores: ["**/node_modules/**", "dist/**", "docs/**", "coverage/**", ".tmp/**"]
  },
  {
    // Linted: every TypeScript file and the ESM scripts (test fixtures, this file).
    files: ["**/*.ts", "**/*.mjs"],
    extends: [js.configs.recommended, ...tseslint.configs.recommended, ...effectEslint.configs.dprint],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "module"
    },
    linterOptions: {
      reportUnusedDisableDirectives: "error"
    },
    rules: {
      "@effect/dprint": [
        "error",
        {
          config: {
            indentWidth: 2,
            lineWidth: 120,
            semiColons: "asi",
            quoteStyle: "alwaysDouble",
            trailingCommas: "never",
            operatorPosition: "maintain",
            "arrowFunction.useParentheses": "force"
          }
        }
      ],
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_" }
      ],
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "separate-type-imports" }],
      "@typescript-eslint/array-type": ["error", { default: "generic", readonly: "generic" }],
      // Effect's idioms: `export declare namespace X` for types, `interface X extends Y {}`,
      // `Effect.gen(function*() { ... })` with no yield.
      "@typescript-eslint/no-namespace": "off",
      "@typescript-eslint/no-empty-object-type": "off",
      "require-yield": "off",
      "object-shorthand": "error",
      // A `let` assigned once after a closure that reads it (a signal handler set up before the spawn) stays `let`.
      "prefer-const": ["error", { ignoreReadBeforeAssign: true }],
      // Matching control characters on purpose is this library's job (escaping guest output).
      "no-control-regex": "off"
    }
  },
  {
    // Type-aware checks for the TypeScript program of tsconfig.json.
    files: ["**/*.ts"],
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname
      }
    },
    rules: {
      "@typescript-eslint/no-unnecessary-type-assertion": "error"
    }
  },
  {
    // Plain Node scripts.
    files: ["**/*.mjs"],
    languageOptions: {
      globals: globals.node
    }
  }
)
