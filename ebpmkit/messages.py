"""Every error message ebpmkit shows its users, Japanese first, in one place for review.

Each entry is a pair of templates: the Japanese text a municipal learner reads first, then the
English text for a reader who needs it. :func:`message` fills both with the same fields and joins
them with a line break, so the first line of every error is Japanese. Learner feedback of the
grading tools (verdicts, hints) lives in :mod:`ebpmkit.grading.messages`; the errors of every
module, grading included, live here.

Both templates of an entry use the same placeholder names (``tests/test_messages.py`` checks
it). A value that differs by language is passed twice, ``accepted`` for the Japanese text and
``accepted_en`` for the English one, or as a :class:`Message` (what :func:`message` returns),
whose Japanese half fills the Japanese template and whose English half the English one; that is
how one catalogue entry becomes part of another.

Examples
--------
>>> print(message("param_type", name="scale", accepted="数値", accepted_en="a number", got="'big'"))
引数 'scale' には数値を指定してください('big' が渡されました)。
The 'scale' parameter must be a number, but 'big' was passed.
"""

from __future__ import annotations

__all__ = ["MESSAGES", "Message", "message"]

# Keys are "<area>.<what went wrong>" so a reviewer can read one area at a time; the same
# field names are used in both languages so a template can never lose a value in translation.
MESSAGES: dict[str, tuple[str, str]] = {
    # --- generic parameter errors (used by several modules) -----------------------------
    "param_type": (
        "引数 '{name}' には{accepted}を指定してください({got} が渡されました)。",
        "The '{name}' parameter must be {accepted}, but {got} was passed.",
    ),
    "param.choice": (
        "引数 '{name}' には {options} のいずれかを指定してください({got} が渡されました)。",
        "The '{name}' parameter must be one of {options}, but {got} was passed.",
    ),
    "param.not_number": (
        "引数 '{name}' には数値を指定してください({got} が渡されました)。",
        "The '{name}' parameter must be a number, but {got} was passed.",
    ),
    "param.range": (
        "引数 '{name}' は {interval} の範囲で指定してください({got} が渡されました)。",
        "The '{name}' parameter must be in the range {interval}, got {got} instead.",
    ),
    "param.integer_min": (
        "引数 '{name}' には{low}以上の整数を指定してください({got} が渡されました)。",
        "The '{name}' parameter must be an integer >= {low}, but {got} was passed.",
    ),
    "param.not_dataframe": (
        "引数 '{name}' には表(pandas の DataFrame)を指定してください({got} が渡されました)。",
        "The '{name}' parameter must be a pandas DataFrame, but {got} was passed.",
    ),
    "param.renamed_both": (
        "引数 '{old}' と '{new}' は同じものです。'{new}' だけを指定してください。",
        "The '{old}' and '{new}' parameters are the same; pass only '{new}'.",
    ),
    "param.renamed": (
        "{function}: 引数 '{old}' は '{new}' に名前が変わりました。"
        "'{old}' は次の版で使えなくなるので、{new}=... と書いてください。",
        "{function}: the '{old}' parameter is now '{new}'; '{old}' will be removed in the next "
        "release.",
    ),
    "param.column_needed": (
        "引数 '{name}' に列名を指定してください。使える列: {columns}",
        "The '{name}' parameter needs a column name. The data has these columns: {columns}",
    ),
    "param.column_missing": (
        "列 '{column}' はデータにありません(引数 '{name}')。使える列: {columns}",
        "The column '{column}' (passed as '{name}') is not in the data. "
        "The data has these columns: {columns}",
    ),
    # --- dataset, cache, profile (dataset.py, cache.py, synth/) --------------------------
    "sql.bad_query": (
        "引数 'query' の SQL を実行できませんでした({error})。"
        "テーブル名・列名を確かめてください。使えるテーブル: {tables}",
        "The SQL in the 'query' parameter could not run ({error}). Check the table and column "
        "names. Available tables: {tables}",
    ),
    "sql.not_text": (
        "引数 'query' には SQL の文を文字列で指定してください({got} が渡されました)。",
        "The 'query' parameter must be an SQL statement as a string, but {got} was passed.",
    ),
    "sql.bad_memory_limit": (
        '引数 \'memory_limit\' には "500MB" や "1GB" のような大きさを指定してください'
        "({got} が渡されました)。",
        'The \'memory_limit\' parameter must be a size such as "500MB" or "1GB", '
        "but {got} was passed.",
    ),
    "sql.no_cache": (
        "引数 'query' の SQL を実行するには、load() で読み込んだデータセットが必要です"
        "(このデータセットにはキャッシュのフォルダがありません)。",
        "Running the SQL in the 'query' parameter needs a dataset read by load(): this dataset "
        "has no cache folder.",
    ),
    "dataset.no_table": (
        "テーブル '{name}' はありません。使えるテーブル: {tables}",
        "There is no table '{name}'. The dataset has these tables: {tables}",
    ),
    "dataset.unknown_tables": (
        "引数 'tables' に使えないテーブル名があります: {unknown}。{note}使えるテーブル: {available}",
        "The 'tables' parameter names tables that are not available: {unknown}. {note}"
        "Available tables: {available}",
    ),
    "dataset.raw_only": (
        "氏名などの識別情報は variant='raw' でだけ読み込めます。",
        "Names and other identifying tables are loaded only with variant='raw'. ",
    ),
    "dataset.no_format": (
        "引数 'formats'(コマンドでは --format)に出力形式を一つ以上指定してください。"
        "使える形式: {formats}",
        "The 'formats' parameter (--format on the command line) needs at least one format: "
        "{formats}.",
    ),
    "dataset.cache_needs_parquet": (
        "キャッシュには parquet 形式が必要です。引数 'formats' に parquet を含めるか、"
        "CSV だけが必要なら引数 'out' に書き出し先のフォルダを指定してください。",
        "The cache needs parquet: include 'parquet' in 'formats', or pass 'out' to write CSV only.",
    ),
    "dataset.profile_type": (
        "引数 'profile' にはプロファイル名か .toml ファイルのパスを指定してください"
        "({got} が渡されました)。",
        "The 'profile' parameter must be a profile name or a path to a .toml file, but {got} "
        "was passed.",
    ),
    "dataset.unknown_profile": (
        "引数 'profile' には {names} のいずれか、または既にある .toml のプロファイルの"
        "パスを指定してください({got} が渡されました)。{hint}",
        "The 'profile' parameter must be one of {names} or the path of an existing .toml "
        "profile file, but {got} was passed. {hint}",
    ),
    "dataset.env_profile": (
        "環境変数 {variable}(研修で使う自治体のプロファイル)には {names} のいずれか、"
        "または既にある .toml のプロファイルのパスを書いてください({got} が書かれています)。"
        "研修の担当者に設定を確かめてもらってください。",
        "The {variable} variable (the class's profile) must be one of {names} or the path of "
        "an existing .toml profile file, but it holds {got}. Ask your trainer to check it.",
    ),
    "dataset.env_seed": (
        "環境変数 {variable}(研修で使うデータの乱数の種)には0以上の整数を書いてください"
        "({got} が書かれています)。研修の担当者に設定を確かめてもらってください。",
        "The {variable} variable (the class's random seed) must be a whole number >= 0, but "
        "it holds {got}. Ask your trainer to check it.",
    ),
    # --- the class file (ebpmkit-class.toml: the class's profile and seed) -------------------
    "class.no_file": (
        "研修の設定ファイル {file} が見つかりません(環境変数 {variable} で指定されています)。"
        "研修の担当者に設定を確かめてもらってください。",
        "The class file {file} (named by the {variable} variable) does not exist. Ask your "
        "trainer to check it.",
    ),
    "class.unreadable": (
        "研修の設定ファイル {file} を読み込めません({reason})。"
        "研修の担当者に設定を確かめてもらってください。",
        "The class file {file} cannot be read ({reason}). Ask your trainer to check it.",
    ),
    "class.bad_toml": (
        "研修の設定ファイル {file} は TOML の書き方になっていません({reason})。"
        '示された行を直してください(例: profile = "town" と seed = 2026 の2行)。',
        "The class file {file} is not valid TOML ({reason}). Fix the line it names (for "
        'example the two lines profile = "town" and seed = 2026).',
    ),
    "class.unknown_key": (
        "研修の設定ファイル {file} の項目 {key} は使えません。{close} のことですか"
        "(書ける項目は profile と seed です)。",
        "The class file {file} has an unknown key {key}. Did you mean {close}? (The keys are "
        "profile and seed.)",
    ),
    "class.bad_profile": (
        "研修の設定ファイル {file} の項目 'profile' には {names} のいずれか、または既にある "
        ".toml のプロファイルのパス(設定ファイルのフォルダからの相対パスも可)を書いてください"
        "({got} が書かれています)。",
        "The key 'profile' of the class file {file} must be one of {names} or the path of an "
        "existing .toml profile (relative to the class file's folder), but it holds {got}.",
    ),
    "class.bad_seed": (
        "研修の設定ファイル {file} の項目 'seed' には0以上の整数を書いてください"
        "({got} が書かれています)。",
        "The key 'seed' of the class file {file} must be a whole number >= 0, but it holds {got}.",
    ),
    "dataset.shared_missing": (
        "共有のデータフォルダ {folder} に、この練習問題やレッスンで使うデータ(プロファイル {profile})が"
        "まだ作られていません。このフォルダには書き込めないため、ここでは作れません。"
        "研修の担当者に、データフォルダを指定して次のコマンドを実行してもらってください: "
        "EBPMKIT_DATA_DIR={folder} {command}",
        "The shared data folder {folder} does not hold the dataset this lesson or exercise "
        "needs (profile {profile}), and you cannot write there. Ask your trainer to run: "
        "EBPMKIT_DATA_DIR={folder} {command}",
    ),
    "profile.did_you_mean": ("{names} のことですか。", "Did you mean {names}?"),
    "profile.bad_toml": (
        "プロファイル {origin} は TOML の書き方になっていません({reason})。"
        "示された行を直すか、extends で組み込みのプロファイルを元にしてください。",
        "The profile file {origin} is not valid TOML ({reason}). Fix the line it names, or "
        "start from a built-in profile with `extends`.",
    ),
    "profile.unreadable": (
        "プロファイル {path} を UTF-8 の文字として読めません({reason})。"
        "UTF-8 で保存し直してください。",
        "The profile file {path} cannot be read as UTF-8 text ({reason}); save it as UTF-8.",
    ),
    "profile.unknown_key": (
        "プロファイル {origin} の項目 '{key}' は使えません。{close} のことですか。",
        "The profile {origin} has an unknown key '{key}'. Did you mean {close}?",
    ),
    "profile.unknown_key_choices": (
        "プロファイル {origin} の項目 '{key}' は使えません。ここで使える項目: {names}",
        "The profile {origin} has an unknown key '{key}'. Keys allowed here: {names}",
    ),
    "profile.missing": (
        "プロファイル '{name}'({origin})に項目 '{key}' がありません。プロファイルに書き足すか、"
        "extends で組み込みのプロファイルから引き継いでください。",
        "The profile '{name}' ({origin}) has no figure '{key}'. Add it to the profile file, "
        "or use `extends` to inherit it from a built-in profile.",
    ),
    "profile.not_number": (
        "プロファイル {origin} の項目 '{key}' には数値を書いてください({found} が書かれています)。",
        "The profile figure '{key}' must be a number, but {found} was found in {origin}.",
    ),
    "profile.not_numbers": (
        "プロファイル {origin} の項目 '{key}' には数値のリストを書いてください"
        "({found} が書かれています)。",
        "The profile figure '{key}' must be a list of numbers, but {found} was found in {origin}.",
    ),
    "profile.wrong_length": (
        "プロファイル {origin} の項目 '{key}' には数値を {length} 個書いてください"
        "({found} 個書かれています)。",
        "The profile figure '{key}' must list {length} numbers, but {found} were found in "
        "{origin}.",
    ),
    "profile.not_text": (
        "プロファイル {origin} の項目 '{key}' には文字列を書いてください({found} が書かれています)。",
        "The profile figure '{key}' must be text, but {found} was found in {origin}.",
    ),
    "profile.not_texts": (
        "プロファイル {origin} の項目 '{key}' には文字列のリストを書いてください"
        "({found} が書かれています)。",
        "The profile figure '{key}' must be a list of text, but {found} was found in {origin}.",
    ),
    "profile.not_choice": (
        "プロファイル {origin} の項目 '{key}' には {choices} のいずれかを書いてください"
        "({found} が書かれています)。",
        "The profile figure '{key}' must be one of {choices}, but {found} was found in {origin}.",
    ),
    "profile.target_unused": (
        "プロファイル {origin} の項目 '{key}' は確認用の目標値で、生成には使われません。"
        "生成結果を目標に近づけるには '{driver}' を変え、`ebpmkit profile check {origin}` で"
        "確かめてください。",
        "The profile figure '{key}' in {origin} is a target the generator does not read; to move "
        "the generated data towards it change '{driver}', and compare with "
        "`ebpmkit profile check {origin}`.",
    ),
    "profile.not_table": (
        "プロファイル {origin} の項目 '{key}' には表(TOML のテーブル)を書いてください"
        "({found} が書かれています)。",
        "The profile figure '{key}' must be a table, but {found} was found in {origin}.",
    ),
    "profile.not_bool": (
        "プロファイル {origin} の項目 '{key}' には true か false を書いてください"
        "({found} が書かれています)。",
        "The profile figure '{key}' must be true or false, but {found} was found in {origin}.",
    ),
    "profile.out_of_range": (
        "プロファイル {origin} の項目 '{key}' は {interval} の範囲で書いてください"
        "({found} が書かれています)。",
        "The profile figure '{key}' must lie in {interval}, but {found} was found in {origin}.",
    ),
    "profile.bad_extends": (
        "プロファイル {origin} の 'extends' には組み込みのプロファイル({names})の名前を"
        "書いてください({found} が書かれています)。",
        "'extends' in {origin} must name a built-in profile ({names}), but {found} was found.",
    ),
    "profile.extends_loop": (
        "プロファイル {origin} の 'extends' が '{parent}' に戻り、循環しています。",
        "'extends' in {origin} loops back to '{parent}'.",
    ),
    "profile.voucher_sale_after_use": (
        "プロファイル {origin} の 'voucher.sale_month' は、{fiscal_year} 年度(4月から翌年3月)のうち "
        "'voucher.use_start_month' より後にならないようにしてください。",
        "The profile figure 'voucher.sale_month' must not fall after 'voucher.use_start_month' "
        "within fiscal year {fiscal_year} (months run April to March), in {origin}.",
    ),
    "profile.voucher_window": (
        "プロファイル {origin} の商品券事業({fiscal_year} 年度)には、利用期間の前 {before} か月と後 "
        "{after} か月を含む {low}〜{high} 年度の月次データが必要ですが、プロファイルが作るのは "
        "{first}〜{last} 年度です。'voucher.fiscal_year' を動かすか、'voucher.months_before' か "
        "'voucher.months_after' を短くしてください。",
        "The voucher programme of fiscal year {fiscal_year} needs monthly data for fiscal years "
        "{low}-{high} ({before} months before and {after} after its use period), but {origin} "
        "simulates {first}-{last}. Move 'voucher.fiscal_year' or shorten 'voucher.months_before' "
        "or 'voucher.months_after'.",
    ),
    "profile.voucher_face_value": (
        "プロファイル {origin} の商品券1セットの額面({face} 円 = set_price ×(1 + premium_rate))は、"
        "'voucher.ticket_value'({ticket} 円)の倍数にしてください。",
        "The face value of one set ({face} yen = set_price x (1 + premium_rate)) must be a "
        "multiple of 'voucher.ticket_value' ({ticket} yen) in {origin}.",
    ),
    "profile.increasing": (
        "プロファイル {origin} の項目 '{key}' は小さい順に並べてください。",
        "The profile figure '{key}' must be increasing in {origin}.",
    ),
    "profile.months": (
        "プロファイル {origin} の項目 '{key}' には、年と月を YYYYMM の形で、古い順に書いてください。",
        "The profile figure '{key}' must list increasing months written YYYYMM in {origin}.",
    ),
    "profile.year_outside": (
        "プロファイル {origin} の項目 '{key}'({year} 年度)は、作成する年度({first}〜{last} 年度)の"
        "中にしてください。",
        "The profile figure '{key}' ({year}) must fall inside the simulated fiscal years "
        "({first}-{last}) in {origin}.",
    ),
    "cache.where_parameter": ("引数 '{parameter}'", "the '{parameter}' parameter"),
    "cache.where_data_dir": ("環境変数 EBPMKIT_DATA_DIR", "the EBPMKIT_DATA_DIR variable"),
    "cache.not_writable": (
        "{where} のフォルダ {folder} に書き込めません({reason})。"
        "書き込めるフォルダを指定してください(データの置き場所は環境変数 EBPMKIT_DATA_DIR で変えられます)。",
        "The folder {folder} given by {where} is not writable ({reason}): choose a folder you "
        "can write to (EBPMKIT_DATA_DIR sets where data is kept).",
    ),
    "cache.not_a_folder": (
        "{where} に指定した {folder} はフォルダではありません。フォルダを指定してください。",
        "{folder}, given by {where}, is not a folder; give a folder.",
    ),
    "cache.folder_in_use": (
        "{where} に指定したフォルダ {folder} には ebpmkit のデータ以外のファイルがあるため、"
        "上書きしません。空のフォルダか新しいフォルダ名を指定してください。",
        "The folder {folder}, given by {where}, holds files that are not an ebpmkit dataset; "
        "nothing was overwritten. Choose an empty or new folder.",
    ),
    "cache.unusable": (
        "{folder} のデータは使えません({reason})。",
        "The dataset in {folder} cannot be used: {reason}.",
    ),
    "cache.rebuilding": (
        "キャッシュ {folder} は使えないため作り直します({reason})。",
        "Rebuilding the cache {folder}: {reason}.",
    ),
    "cache.cannot_remove": (
        "壊れたキャッシュ {folder} を削除できません({reason})。"
        "環境変数 EBPMKIT_DATA_DIR に書き込めるフォルダを指定するか、管理者に連絡してください。",
        "The broken cache {folder} cannot be removed ({reason}); set EBPMKIT_DATA_DIR to a "
        "writable folder or ask your administrator.",
    ),
    "cache.reason.no_manifest": (
        "manifest.json がありません(生成が途中で止まった可能性があります)",
        "manifest.json is missing (the generation may have stopped half way)",
    ),
    "cache.reason.bad_manifest": ("manifest.json が壊れています", "manifest.json is damaged"),
    "cache.reason.old_generator": (
        "古いバージョンの生成器で作られたデータです",
        "the data were made by an older version of the generator",
    ),
    "cache.reason.old_layout": (
        "古い形式(ファイルの配置)で書かれたデータです",
        "the data were written in an older file layout",
    ),
    "cache.reason.missing_file": ("{name} がありません", "{name} is missing"),
    "cache.reason.corrupt_file": (
        "{name} の内容が manifest と一致しません(破損しています)",
        "{name} does not match the manifest (it is damaged)",
    ),
    "synth.unknown_shared_column": (
        "共有の列 '{column}' は宣言されていません。宣言済みの列: {known}",
        "The shared column '{column}' is not declared in ebpmkit.synth.columns.SHARED. "
        "Declared shared columns: {known}",
    ),
    "synth.schedule_length": (
        "プロファイル {origin} の項目 '{key}' には、'{starts}' と同じ {length} 個の値を書いてください"
        "({found} 個が書かれています)。",
        "The profile figure '{key}' must hold {length} values, as many as '{starts}', but "
        "{found} were found in {origin}.",
    ),
    "synth.schedule_start": (
        "プロファイル {origin} の項目 '{key}' は、最初の年度 {first} 以前から始まり、"
        "年度が増えていく順に並べてください({found} が書かれています)。",
        "The profile figure '{key}' must start no later than the first fiscal year {first} and "
        "list the years in increasing order, but {found} was found in {origin}.",
    ),
    "ltc_premiums.stage_counts": (
        "プロファイル {origin} の項目 'ltc_premiums.stage_counts' には、期ごとの段階の数として"
        "9 か 13 を書いてください({found} が書かれています)。",
        "The profile figure 'ltc_premiums.stage_counts' must give 9 or 13 stages for each "
        "period, but {found} was found in {origin}.",
    ),
    "child_allowance.order": (
        "プロファイル {origin} の項目 '{later}' は、項目 '{earlier}' 以上の値にしてください。",
        "The profile figure '{later}' must not be less than '{earlier}' in {origin}.",
    ),
    "geography.areas": (
        'プロファイル {origin} の項目 \'geography.areas\' には、["北部", "中央", "南部"] のように'
        "地区の名前のリストを書いてください({found} が書かれています)。",
        "The profile figure 'geography.areas' must be a list of area names (text), but "
        "{found} was found in {origin}.",
    ),
    "geography.areas_distinct": (
        "プロファイル {origin} の項目 'geography.areas' には、互いに異なる名前を1個から30個まで"
        "書いてください({found} が書かれています)。",
        "The profile figure 'geography.areas' must list 1 to 30 different names, but {found} "
        "was found in {origin}.",
    ),
    "geography.districts_whole": (
        "プロファイル {origin} の項目 'geography.districts_per_area' には整数を書いてください"
        "({found} が書かれています)。",
        "The profile figure 'geography.districts_per_area' must list whole numbers, but "
        "{found} was found in {origin}.",
    ),
    "geography.area_sum": (
        "プロファイル {origin} の項目 'geography.area_km2' の合計は total_km2({total})との"
        "差が5%以内になるようにしてください(合計は {found} です)。",
        "The profile figure 'geography.area_km2' must add up to total_km2 ({total}) within "
        "5%, but it adds up to {found} in {origin}.",
    ),
    "geography.chome_count": (
        "プロファイル {origin} の項目 'geography.chome_count' は住区の数"
        "(districts_per_area の合計 {districts})以上にしてください({found} が書かれています)。",
        "The profile figure 'geography.chome_count' must be at least the number of districts "
        "({districts}, the sum of districts_per_area), but {found} was found in {origin}.",
    ),
    "geography.town_count": (
        "プロファイル {origin} の項目 'geography.town_count' は chome_count({chome})以下に"
        "してください({found} が書かれています)。",
        "The profile figure 'geography.town_count' must not exceed chome_count ({chome}), but "
        "{found} was found in {origin}.",
    ),
    "geography.place_names": (
        "互いに異なる地名を {count} 個作れません。プロファイルの 'geography.town_count' を"
        "小さくしてください。",
        "Cannot make {count} different place names; lower 'geography.town_count'.",
    ),
    "geography.no_room": (
        "架空の地図に{what}を置く広さがありません。プロファイルの 'geography.{figure}' を"
        "小さくするか、'geography.area_km2' でその地区の面積を広げてください。",
        "The fictional map has no room for {what}: lower 'geography.{figure}' or give that "
        "area more km² in 'geography.area_km2'.",
    ),
    "geography.room_districts": (
        "地区「{area}」の {k} 個の住区",
        "{k} districts in the area {area}",
    ),
    "geography.room_chome": ("一つの住区の {k} 個の町丁", "{k} chome in one district"),
    "population.age_band_sum": (
        "プロファイル {origin} の項目 'population.age_band_shares' は合計が100(%)になるように"
        "書いてください(合計は {found} です)。",
        "'population.age_band_shares' must add up to 100 (percent), but they add up to "
        "{found} in {origin}.",
    ),
    "population.age_targets_unmet": (
        "プロファイル {origin} の 'population.age_share_targets'(0～14歳・15～64歳・65歳以上の"
        "割合 {targets} %)を、生成では満たせません。初年度の年齢は 'population.age_band_shares' "
        "から作られ、その年齢3区分の合計は {groups} % です({tolerance} ポイントより離れています)。"
        "目標に合わせるには age_band_shares の5歳階級を直し、今の年齢構成のままでよければ "
        "age_share_targets = {groups} と書いてください。",
        "The targets 'population.age_share_targets' ({targets} percent aged 0-14, 15-64, 65+) "
        "in {origin} cannot be met: the first register's ages are drawn from "
        "'population.age_band_shares', whose three groups add up to {groups} percent (more than "
        "{tolerance} points away). Change the five-year bands of age_band_shares to meet the "
        "targets, or write age_share_targets = {groups} to keep the current age structure.",
    ),
    "population.male_share_unmet": (
        "プロファイル {origin} の 'population.male_share'({target})を、生成では満たせません。"
        "初年度の男女は 'population.age_band_shares' と 'population.male_share_by_age' から作られ、"
        "その男性の割合は {implied} です({tolerance} より離れています)。"
        "目標に合わせるには male_share_by_age を直し、今のままでよければ "
        "male_share = {implied} と書いてください。",
        "The target 'population.male_share' ({target}) in {origin} cannot be met: the first "
        "register's sexes come from 'population.age_band_shares' and "
        "'population.male_share_by_age', which give a male share of {implied} (more than "
        "{tolerance} away). Change male_share_by_age to meet the target, or write "
        "male_share = {implied} to keep it as it is.",
    ),
    # --- a profile from a published age-band table (synth/estat.py, `ebpmkit profile new`) --
    "estat.no_file": (
        "年齢階級別人口の表 {path} が見つかりません。CSV ファイルの場所を確かめてください。",
        "The age-band population table {path} was not found; check the path of the CSV file.",
    ),
    "estat.encoding": (
        "{path} を文字として読めません。UTF-8 か Shift_JIS(cp932)の CSV で保存してください。",
        "{path} cannot be read as text; save it as a UTF-8 or Shift_JIS (cp932) CSV file.",
    ),
    "estat.no_header": (
        "{path} に年齢階級の見出しの行(0～4歳, 5～9歳, …, 100歳以上)が見つかりません。"
        "住民基本台帳の年齢階級別人口の CSV を指定してください。",
        "{path} has no header row of age bands (ages 0-4, 5-9, ... 100 and over); give the "
        "basic resident register's table of residents by age band as CSV.",
    ),
    "estat.bands": (
        "{path} の年齢階級は、0～4歳から5歳刻みで続き「○歳以上」(50歳以上)で終わる必要が"
        "あります(見出し: {found})。",
        "The age bands of {path} must run in 5-year steps from ages 0-4 and end with an open "
        "band (50 and over, or higher); the headers are: {found}.",
    ),
    "estat.several_rows": (
        "{path} に性別「{sex}」の行が二つ以上あります。一つの自治体の行だけを残してください。",
        "{path} has more than one row for the sex '{sex}'; keep the rows of one municipality only.",
    ),
    "estat.no_sex_rows": (
        "{path} に男と女の行が見つかりません。性別の列に「男」「女」(または 男性・女性)と"
        "書かれた行が必要です。",
        "{path} has no rows for men and women: the table needs a row for each sex, marked in a "
        "sex column.",
    ),
    "estat.total_mismatch": (
        "{path} の「計」の行が、男と女の合計と一致しません。表が正しく書き出されたか確かめてください。",
        "The total row of {path} is not the sum of the rows for men and women; check that the "
        "table was exported correctly.",
    ),
    "estat.bad_count": (
        "{path} の列「{column}」に人数として読めない値があります({found})。",
        "The column '{column}' of {path} has a value that is not a count of residents: {found}.",
    ),
    "estat.name": (
        "引数 'name' には自治体の名前(例: 夢ノ木町)を指定してください({got} が渡されました)。",
        "The 'name' parameter must be the municipality's Japanese name, but {got} was passed.",
    ),
    "estat.kind": (
        "'{name}' から自治体の種類(kind)が分かりません。名前を区・市・町・村で終えるか、"
        "kind に {kinds} のいずれかを指定してください。",
        "The kind of municipality cannot be told from '{name}': end the name with the "
        "character for ward, city, town or village, or give kind as one of {kinds}.",
    ),
    "estat.extends": (
        "引数 'extends' には組み込みのプロファイル({names})の名前を指定してください"
        "({got} が渡されました)。",
        "The 'extends' parameter must name a built-in profile ({names}), but {got} was passed.",
    ),
    "estat.out_suffix": (
        "引数 'out' には .toml で終わるファイル名を指定してください({got} が渡されました)。",
        "The 'out' parameter must be a file name ending in .toml, but {got} was passed.",
    ),
    "estat.out_exists": (
        "引数 'out' のファイル {path} はすでにあります。別の名前にするか、上書きを指定して"
        "ください(ebpmkit profile new --force)。",
        "The 'out' file {path} already exists; choose another name or allow overwriting "
        "(ebpmkit profile new --force).",
    ),
    "population.births_per_year": (
        "プロファイル {origin} の項目 'population.births_per_1000' には年度ごとに一つずつ、"
        "{years} 個の数値を書いてください({found} 個書かれています)。",
        "'population.births_per_1000' must list one figure per fiscal year ({years}), but "
        "{found} were found in {origin}.",
    ),
    "population.elderly_weight_per_area": (
        "プロファイル {origin} の項目 'population.elderly_weight_by_area' には 'geography.areas' "
        "の地区ごとに一つずつ、{areas} 個の数値を書いてください({found} 個書かれています)。",
        "'population.elderly_weight_by_area' must list one weight per area in "
        "'geography.areas' ({areas}), but {found} were found in {origin}.",
    ),
    "population.in_household_types": (
        "プロファイル {origin} の項目 'households.in_household_types' には、0より大きい割合を"
        "一つ以上書いてください。",
        "'households.in_household_types' in {origin} must have at least one positive share.",
    ),
    "population.family_pairs": (
        "プロファイル {origin} の項目 '{values}' と '{weights}' には同じ個数(一つ以上)の数値を"
        "書いてください({found_values} 個と {found_weights} 個書かれています)。",
        "'{values}' and '{weights}' must list the same number of figures (at least one), but "
        "{found_values} and {found_weights} were found in {origin}.",
    ),
    "population.shares_sum": (
        "プロファイル {origin} の項目 '{key}' は合計が1になるように書いてください"
        "(合計は {found} です)。",
        "'{key}' must add up to 1, but they add up to {found} in {origin}.",
    ),
    "income.grade": (
        "プロファイル {origin} の項目 'income.grade' には 1、2、3 のいずれかを書いてください"
        "({found} が書かれています)。",
        "The profile figure 'income.grade' must be 1, 2 or 3, but {found} was found in {origin}.",
    ),
    "identity.area_code": (
        "プロファイル {origin} の項目 'identity.area_code' には、'03' や '0749' のように0で始まる"
        "2桁から5桁の市外局番を書いてください({found} が書かれています)。",
        "identity.area_code must be a Japanese area code of 2 to 5 digits starting with 0, "
        "such as '03' or '0749', but {found} was found in {origin}.",
    ),
    "child_health.lengths": (
        "プロファイル {origin} の項目 '{first}' と '{second}' には同じ個数(一つ以上)の値を"
        "書いてください({found_first} 個と {found_second} 個書かれています)。",
        "'{first}' and '{second}' must list the same number of values (at least one), but "
        "{found_first} and {found_second} were found in {origin}.",
    ),
    "child_health.schedule": (
        "プロファイル {origin} の予防接種の表(child_health.vaccines)で、ワクチン '{vaccine}' の"
        "接種は続けて並べ、標準月齢は順に大きく、接種率は順に同じか小さくなるように書いてください。",
        "In the vaccination schedule (child_health.vaccines) of {origin}, the doses of "
        "'{vaccine}' must be listed together, with rising standard ages and coverage that does "
        "not rise.",
    ),
    "identity.era_weights": (
        "プロファイル {origin} の項目 'identity.given_name_era_weights' には、classic・neutral・"
        "modern のそれぞれに0以上の数値を4個(生まれた年代ごと)書いてください"
        "({found} が書かれています)。",
        "identity.given_name_era_weights must map classic, neutral and modern to lists of 4 "
        "numbers >= 0 (one per birth cohort), but {found} was found in {origin}.",
    ),
    "identity.origin_weights": (
        "プロファイル {origin} の項目 'identity.foreign_origin_weights' には、{origins} の"
        "いずれかに0以上の重みを書いてください(0より大きいものが一つ以上必要です。"
        "{found} が書かれています)。",
        "identity.foreign_origin_weights must give weights >= 0 to some of {origins}, but "
        "{found} was found in {origin}.",
    ),
    "identity.all_zero": (
        "プロファイル {origin} の項目 '{key}' は、すべてを0にはできません。",
        "{key} must not be all zero ({origin}).",
    ),
    # --- charts, maps, style --------------------------------------------------------------
    "plot.dictionary": (
        "引数 'dictionary' には ebpmkit.load() の結果か、データ辞書の表"
        "(column と label_ja の列を持つ DataFrame)を指定してください({got} が渡されました)。",
        "The 'dictionary' parameter must be a Dataset or a data dictionary DataFrame with "
        "'column' and 'label_ja' columns, but {got} was passed.",
    ),
    "plot.wrong_kind": (
        "列 {column} は{kind}の列なので、引数 '{name}' には使えません。"
        "'{name}' には{wanted}の列を指定してください。{hint}",
        "The column {column} is a {kind} column, but '{name}' needs a column of kind "
        "{wanted}. {hint}",
    ),
    "plot.hint_id": (
        "識別番号は数えるためのもので、足したり平均したりする値ではありません。",
        "An identifier is for counting, not for adding up or averaging.",
    ),
    "plot.hint_text": (
        "文字の列は数量として計算できません。数値の列を選ぶか、件数を数えてください。",
        "A column of text cannot be calculated with; choose a numeric column or count rows.",
    ),
    "plot.ax": (
        "引数 'ax' には matplotlib の Axes を指定してください({got} が渡されました)。",
        "The 'ax' parameter must be a matplotlib Axes, but {got} was passed.",
    ),
    "plot.too_many_hues": (
        "引数 'hue' の列 '{column}' には {levels} 個の区分があり、色で見分けられる {most} 個を"
        "超えています。区分をまとめるか、地図(ebpmkit.maps)やグループ比較(charts.compare)を"
        "使ってください。",
        "The hue column '{column}' has {levels} levels; colours stay distinguishable up to "
        "{most}. Group the levels or use a map or charts.compare instead.",
    ),
    "plot.no_year": (
        "引数 '{name}' の {year} 年度のデータはありません(列 '{time}')。ある年度: {years}",
        "The '{name}' parameter asks for {year}, which is not in '{time}'. Years in the data: "
        "{years}",
    ),
    "charts.several_rows": (
        "{per}ごとに '{y}' が複数行あります。合計を描くなら estimator='sum'、"
        "平均を描くなら estimator='mean' を指定してください"
        "(人数などは合計、1人あたりの金額などは平均が向いています)。",
        "There are several rows of '{y}' per '{per}'; pass estimator='sum' or estimator='mean'.",
    ),
    "charts.pyramid_sides": (
        "人口ピラミッドの左右には二つの区分が必要ですが、引数 'hue' の列 '{column}' には "
        "{count} 個({levels})あります。",
        "A pyramid needs a 'hue' column with two levels; '{column}' has {count} ({levels}).",
    ),
    "charts.year_and_years": (
        "引数 'year'(一つの年度)と 'years'(二つの年度)は、どちらか一方だけを指定してください。",
        "Pass either 'year' (one year) or 'years' (two years), not both.",
    ),
    "charts.year_list": (
        "pyramid: 二つの年度は year ではなく years=[...] で指定してください。"
        "year にリストを渡す書き方は次の版で使えなくなるので、書きかえてください。",
        "pyramid: pass two years as years=[...]; a list in 'year' will be removed in the next "
        "release.",
    ),
    "charts.two_years": (
        "引数 'years' には年度を一つか二つ指定してください({got} が渡されました)。",
        "The 'years' parameter takes one or two years, but {got} was passed.",
    ),
    "charts.id_axis": (
        "引数 '{name}' の列 '{column}'({label})は識別番号なので、グラフの軸には使えません。"
        "件数を見たいときは y を指定せずに、区分や年度の列を x に指定してください。",
        "The column '{column}' ({label}) passed as '{name}' is an identifier; it cannot be an "
        "axis of a chart. To count rows, leave out y and pass a category or year column as x.",
    ),
    "charts.no_rule": (
        "この列の組み合わせ({kinds})に合うグラフの決まりがありません。"
        "引数 'x' と 'y' を入れ替えるか、charts の関数(trend、compare など)を直接使ってください。",
        "No rule of charts.auto fits these column kinds ({kinds}); swap 'x' and 'y' or call "
        "a chart function directly.",
    ),
    "charts.bins": (
        "引数 'bins' には、区切り方の名前('auto' など)、1以上の整数(階級の数)、"
        "小さい順に並んだ数値のリスト(階級の境目)のいずれかを指定してください({got} が渡されました)。",
        "The 'bins' parameter must be a rule's name such as 'auto', a count >= 1 or increasing "
        "bin edges, but {got} was passed.",
    ),
    "charts.save_fig": (
        "引数 'fig' にはグラフ(Figure か Axes)を指定してください({got} が渡されました)。",
        "The 'fig' parameter must be a matplotlib Figure or Axes, not {got}.",
    ),
    "charts.save_suffix": (
        "引数 'path' のファイル名は {formats} のいずれかで終わるようにしてください"
        "({got} が渡されました)。ファイル名の拡張子を確認してください。",
        "The 'path' parameter must end in one of {formats}, but {got} was passed.",
    ),
    "charts.save_folder": (
        "引数 'path' の保存先のフォルダ '{folder}' がありません。先にフォルダを作ってください。",
        "The folder '{folder}' of the 'path' parameter does not exist; create it first.",
    ),
    "maps.no_file": (
        "引数 'path' の境界ファイル '{path}' が見つかりません。ファイル名と場所を確認してください。",
        "The boundary file '{path}' (the 'path' parameter) does not exist.",
    ),
    "maps.unreadable": (
        "引数 'path' の境界ファイル '{path}' を読めません。{why}{detail}",
        "The boundary file '{path}' (the 'path' parameter) cannot be read: {why}{detail}",
    ),
    "maps.why_utf8": ("UTF-8 の文字として読めません。", "it is not UTF-8 text."),
    "maps.why_json": (
        "GeoJSON(JSON)の形になっていません({line} 行目)。",
        "it is not GeoJSON (JSON) (line {line}).",
    ),
    "maps.why_collection": (
        "GeoJSON の FeatureCollection ではありません。",
        "it is not a GeoJSON FeatureCollection.",
    ),
    "maps.why_shapefile": (
        "Shapefile として読めません(.shp と同じ名前の .shx と .dbf が同じフォルダに必要です)。",
        "it cannot be read as a Shapefile (the .shx and .dbf of the same name must be in the "
        "same folder).",
    ),
    "maps.why_encoding": (
        "属性の文字コードが分かりません(試したもの: {tried})。"
        "引数 'encoding' に 'cp932' などを指定してください。",
        "the encoding of its attributes is unknown (tried: {tried}); pass encoding='cp932' "
        "or another.",
    ),
    "maps.why_suffix": (
        "形式が分かりません。.geojson・.json・.shp・.zip のファイルを指定してください。",
        "the file must be .geojson, .json, .shp or .zip.",
    ),
    "maps.why_no_polygon": (
        "多角形(Polygon)の境界が一つもありません。",
        "it holds no polygon features.",
    ),
    "maps.no_code": (
        "境界ファイルに地域コードの属性{code}が見つかりません。"
        "引数 'code' に次のどれかを指定してください: {keys}",
        "No area code attribute{code} in the boundary file; pass 'code' as one of: {keys}",
    ),
    "maps.no_name": (
        "境界ファイルに引数 'name' の属性 '{name}' がありません。使える属性: {keys}",
        "The boundary file has no attribute '{name}' (the 'name' parameter). Attributes: {keys}",
    ),
    "maps.boundaries": (
        "引数 'boundaries' には read_boundaries() の結果(GeoJSON の FeatureCollection)を"
        "指定してください({got} が渡されました)。",
        "The 'boundaries' parameter must be a GeoJSON FeatureCollection (see "
        "read_boundaries), but {got} was passed.",
    ),
    "maps.not_quantity": (
        "引数 'value' の列 {column} は数値ではない値({examples} など)を含むので、"
        "地図の色分けに使えません。数値の列を指定してください(秘匿の印 X や * は使えます)。",
        "The column {column} (the 'value' parameter) holds values that are not numbers "
        "({examples}); a map needs a numeric value column.",
    ),
    "maps.several_rows": (
        "地域コード {code} の行が複数あります。地図には一つの地域に一つの値が必要です。"
        "合計なら estimator='sum'、平均なら estimator='mean' を指定するか、"
        "先に groupby で集計してください。",
        "Area code {code} has several rows; pass estimator='sum' or estimator='mean', or "
        "aggregate first.",
    ),
    "maps.unknown_codes": (
        "地図にない地域コードがあります(引数 'area' の列 '{area}'): {codes}。"
        "この地図のコードは {sample} です。別の自治体のデータなら引数 'profile' を、"
        "町丁のデータなら level='chome' を確認してください。",
        "Codes in '{area}' (the 'area' parameter) that are not on the map: {codes}. The map's "
        "codes are {sample}; check 'profile', or level='chome' for chome data.",
    ),
    "maps.several_years": (
        "列 '{time}' に複数の年度({first}〜{last})が含まれています。引数 'year' で一つの年度を"
        "選ぶか、年度ごとの地図なら maps.small_multiples を使ってください。",
        "The data hold several years in '{time}' ({first}-{last}); pass 'year' or use "
        "maps.small_multiples.",
    ),
    "maps.breaks": (
        "引数 'breaks' には、小さい順に並んだ数値のリストを指定してください({got} が渡されました)。",
        "The 'breaks' parameter must be increasing numbers, but {got} was passed.",
    ),
    # --- anonymize -----------------------------------------------------------------------
    "anonymize.columns_missing": (
        "引数 '{name}' の列 {columns} はデータにありません。使える列: {available}",
        "The column(s) {columns} passed as '{name}' are not in the data. The data has these "
        "columns: {available}",
    ),
    "anonymize.no_columns": (
        "引数 '{name}' に列を一つ以上指定してください。",
        "The '{name}' parameter needs at least one column.",
    ),
    "anonymize.no_rows": (
        "引数 'data' の表が0行のため、k や l を計算できません。",
        "The 'data' parameter has no rows, so k and l cannot be computed.",
    ),
    "anonymize.key": (
        "引数 'key' には16バイト以上の bytes か文字列を指定してください({got} が渡されました)。"
        "鍵は new_key() で作れます。",
        "The 'key' parameter must be bytes or a string of at least 16 bytes, but {got} was "
        "passed (see new_key()).",
    ),
    "anonymize.collision": (
        "仮名が衝突しました。引数 'key' に別の鍵を指定して作り直してください。",
        "Two ids got the same pseudonym; pass another 'key'.",
    ),
    "anonymize.integer_ids": (
        "列 '{column}' は整数の ID である必要があります(型: {dtype})。"
        "欠損があるなら先に取り除いてください。",
        "The column '{column}' must hold integer ids (dtype {dtype}); remove missing values first.",
    ),
    "anonymize.precision": (
        "引数 'precision' には 'M'(年月)か 'Y'(年)を指定してください({got} が渡されました)。",
        "The 'precision' parameter must be one of 'M', 'Y', but {got} was passed.",
    ),
    "anonymize.code_at": (
        "引数 'at' の {got} は、値(型: {dtype})と大小を比べられません。"
        "値と同じ種類(数値や日付)で指定してください。",
        "The 'at' parameter {got} cannot be compared with the values (dtype {dtype}); give a "
        "number or date of the same kind.",
    ),
    "anonymize.empty_table": (
        "引数 'table' が空です。集計表(行×列の件数)を渡してください。",
        "The 'table' parameter is empty; pass a table of counts.",
    ),
    "anonymize.counts": (
        "引数 'table' には0以上の整数(件数)の表を渡してください。欠損や小数は使えません。",
        "The 'table' parameter must hold counts: non-negative integers without missing values.",
    ),
    "anonymize.margin_labels": (
        "引数 'margins' の {what} に、表にない見出しがあります: {labels}",
        "The 'margins' parameter names {what} the table does not have: {labels}",
    ),
    "anonymize.duplicate_labels": (
        "(表の見出しが重複しています)",
        "(the table has duplicate labels)",
    ),
    "anonymize.mask_shape": (
        "引数 'suppressed' は表と同じ形(行×列)にしてください({got} が渡されました)。",
        "The 'suppressed' parameter must have the table's shape, but {got} was passed.",
    ),
    "anonymize.policy_precision": (
        "Policy の引数 'date_precision' の {column} には 'M'(年月)か 'Y'(年)を指定してください"
        "({got} が渡されました)。",
        "The 'date_precision' of the Policy for {column} must be 'M' or 'Y', but {got} was passed.",
    ),
    "anonymize.policy": (
        "引数 'policy' には Policy を指定してください({got} が渡されました)。",
        "The 'policy' parameter must be a Policy, but {got} was passed.",
    ),
    "release.policy": (
        "引数 'policy' には ReleasePolicy を指定してください({got} が渡されました)。",
        "The 'policy' parameter must be a ReleasePolicy, but {got} was passed.",
    ),
    "release.policy_count": (
        "ReleasePolicy の引数 '{name}' には 1 以上の整数を指定してください({got} が渡されました)。",
        "The {name} of a ReleasePolicy must be an integer of 1 or more, but {got} was passed.",
    ),
    "release.policy_columns": (
        "ReleasePolicy の引数 'quasi_identifiers' に知らない列があります: {unknown}。使える列: {available}",
        "The quasi_identifiers of a ReleasePolicy name unknown column(s) {unknown}. "
        "These can be used: {available}",
    ),
    "release.needs_raw": (
        "引数 '{parameter}' には元データ(variant='raw' の Dataset、または residents と "
        "resident_years を含み person_id のある表の辞書)を指定してください({got} が渡されました)。",
        "The '{parameter}' parameter must be the raw data (a Dataset loaded with variant='raw', "
        "or a dict of tables with residents and resident_years holding person_id), but {got} "
        "was passed.",
    ),
    "attack.needs_raw": (
        "引数 'raw' には元データ(variant='raw' の Dataset。名簿の氏名は identities から取ります)を"
        "指定してください({got} が渡されました)。",
        "The 'raw' parameter must be the raw variant (a Dataset loaded with variant='raw'; the "
        "roster's names come from identities), but {got} was passed.",
    ),
    "attack.released": (
        "引数 'released' には Dataset か DataFrame を指定してください({got} が渡されました)。",
        "The 'released' parameter must be a Dataset or a DataFrame, but {got} was passed.",
    ),
    "attack.columns": (
        "引数 'released' の表に、名簿と突き合わせる列 {missing} がありません。表の列: {available}",
        "The released table lacks the column(s) {missing} to link on. Its columns: {available}",
    ),
    "attack.roster": (
        "引数 'roster' には列 {needed} を持つ DataFrame を指定してください(渡されたもの: {got})。",
        "The 'roster' parameter must be a DataFrame with the columns {needed}, but got: {got}.",
    ),
    "anonymize.policy_tables": (
        "引数 'policy' が指定したテーブル {tables} はデータにありません。使えるテーブル: {available}",
        "The 'policy' parameter names table(s) {tables} that are not in the data. The data has "
        "these tables: {available}",
    ),
    "anonymize.dataset": (
        "引数 'dataset' には ebpmkit.load() の結果か、テーブル名と DataFrame の辞書を渡してください"
        "({got} が渡されました)。",
        "The 'dataset' parameter must be a Dataset from ebpmkit.load() or a dict of DataFrames, "
        "but {got} was passed.",
    ),
    # --- furusato, tax --------------------------------------------------------------------
    "tax.year_type": (
        "引数 '{name}' には年(整数)を指定してください({got} が渡されました)。",
        "The '{name}' parameter must be an integer year, but {got} was passed.",
    ),
    "tax.year_range": (
        "引数 '{name}' は {low}〜{high} の年で指定してください({got} が渡されました)。",
        "The '{name}' parameter must be in the range [{low}, {high}], got {got} instead.",
    ),
    "tax.money_type": (
        "引数 '{name}' には円の金額(数値、またはその配列)を指定してください({got} が渡されました)。",
        "The '{name}' parameter must be a number or an array of numbers in yen, but {got} was passed.",
    ),
    "tax.money_negative": (
        "引数 '{name}' には0以上の金額(円)を、欠損値なしで指定してください({got} が渡されました)。",
        "The '{name}' parameter must be zero or a positive amount in yen, with no missing values, "
        "got {got} instead.",
    ),
    "tax.count": (
        "引数 '{name}' には0以上の整数(またはその配列)を指定してください({got} が渡されました)。",
        "The '{name}' parameter must be a non-negative whole number (or an array of them), "
        "but {got} was passed.",
    ),
    "tax.flag": (
        "引数 '{name}' には True か False(またはその配列)を指定してください({got} が渡されました)。",
        "The '{name}' parameter must be true/false (or an array of them), but {got} was passed.",
    ),
    "tax.grade": (
        "引数 'grade'(非課税限度額の級地)には 1, 2, 3 のいずれかを指定してください({got} が渡されました)。",
        "The 'grade' parameter must be one of 1, 2, 3, but {got} was passed.",
    ),
    "furusato.base_type": (
        "引数 '{name}' には円の金額(数値、またはその配列。負の値も可)を、欠損値なしで指定してください"
        "({got} が渡されました)。",
        "The '{name}' parameter must be a number or an array of numbers in yen (negative allowed), "
        "with no missing values, but {got} was passed.",
    ),
    "furusato.special_base_needed": (
        "{year}年分の寄附では、引数 'special_base'(住民税の課税総所得金額から人的控除差調整額を引いた額。"
        "tax.assess(...).special_base で求められます)を指定してください。2025年分から所得税の基礎控除が"
        "上がり、所得税の課税所得では特例分の割合を決められないためです。",
        "For donations of {year}, pass 'special_base' (the resident-tax taxable income less the "
        "personal-deduction differences; tax.assess(...).special_base gives it): from 2025 the "
        "income-tax basic deduction is higher, so the income-tax taxable income no longer sets the "
        "special part's rate.",
    ),
    "furusato.table_type": (
        "引数 '{name}' には pandas の DataFrame(表)を指定してください({got} が渡されました)。",
        "The '{name}' parameter must be a pandas DataFrame, but {got} was passed.",
    ),
    "furusato.missing_columns": (
        "引数 '{name}' に列 {missing} がありません。ある列: {columns}",
        "The '{name}' parameter lacks the column(s) {missing}. It contains these columns: {columns}.",
    ),
    "furusato.column_not_amount": (
        "引数 '{name}' の列 '{column}' には円の金額(数値)を入れてください。",
        "The column '{column}' of '{name}' must hold amounts in yen (numbers).",
    ),
    "furusato.column_negative": (
        "引数 '{name}' の列 '{column}' には0以上の金額を、欠損値なしで入れてください。",
        "The column '{column}' of '{name}' must hold zero or positive amounts, with no missing "
        "values.",
    ),
    "furusato.column_not_positive": (
        "引数 '{name}' の列 '{column}' には、すべての行に0より大きい金額を入れてください。",
        "The column '{column}' of '{name}' must be positive in every row.",
    ),
    "furusato.duplicate_gifts": (
        "引数 'catalogue'(返礼品の一覧)の gift_id {ids} が重複しています。1品につき1行にしてください。",
        "The gift_id(s) {ids} appear more than once in 'catalogue'; give one row per gift.",
    ),
    "furusato.unknown_gifts": (
        "引数 'donations' の gift_id {ids} が、引数 'catalogue'(返礼品の一覧)にありません。"
        "返礼品のない寄附は gift_id を欠損値にしてください。",
        "The gift_id(s) {ids} of 'donations' are not in 'catalogue'. Leave gift_id missing for "
        "a donation with no gift.",
    ),
    "furusato.received": (
        "引数 'received'(その年度に受け入れた寄附の合計。返礼品のない寄附を含む)には0より大きい"
        "金額(円)を指定してください({got} が渡されました)。",
        "The 'received' parameter (all donations received in the fiscal year, those with no gift "
        "included) must be a positive amount in yen, but {got} was passed.",
    ),
    "furusato.costs": (
        "引数 'costs' には、その年度の経費の合計(円)か、経費の項目から金額(円)への対応"
        "(dict や pandas の Series)を指定してください({got} が渡されました)。",
        "The 'costs' parameter must be the year's total cost in yen, or a mapping of cost items "
        "to yen (a dict or a pandas Series), but {got} was passed.",
    ),
    "furusato.cost_item": (
        "引数 'costs' の項目 '{item}' には0以上の金額(円)を指定してください({got} が渡されました)。",
        "The item '{item}' of 'costs' must be zero or a positive amount in yen, but {got} was "
        "passed.",
    ),
    "furusato_flows.text_list": (
        "プロファイル {origin} の項目 '{key}' には文字列のリストを書いてください({found} が書かれています)。",
        "The profile figure '{key}' must be a list of text, but {found} was found in {origin}.",
    ),
    "furusato_flows.prefectures": (
        "プロファイル {origin} の項目 'furusato.prefectures' には47都道府県を書いてください"
        "({found} 個書かれています)。",
        "The profile figure 'furusato.prefectures' must list the 47 prefectures, but {found} were "
        "found in {origin}.",
    ),
    "furusato_flows.prefecture": (
        "プロファイル {origin} の項目 'furusato.prefecture' には 'furusato.prefectures' の中の"
        "都道府県を書いてください({found} が書かれています)。",
        "The profile figure 'furusato.prefecture' must be one of 'furusato.prefectures', but "
        "{found} was found in {origin}.",
    ),
    "furusato_flows.per_year": (
        "プロファイル {origin} の項目 '{key}' には、{first}〜{last}年度の1年度に一つずつ、"
        "数値を {length} 個書いてください({found} 個書かれています)。",
        "The profile figure '{key}' must list {length} numbers (one per fiscal year "
        "{first}-{last}), but {found} were found in {origin}.",
    ),
    "furusato_flows.loss_target_pair": (
        "プロファイル {origin} の項目 'furusato.loss_target' と 'furusato.loss_target_year' は、"
        "両方を書くか、両方とも書かないでください。",
        "The profile figures 'furusato.loss_target' and 'furusato.loss_target_year' go together "
        "in {origin}: give both or neither.",
    ),
    "furusato_flows.loss_target_year": (
        "プロファイル {origin} の項目 'furusato.loss_target_year' には {first}〜{last} の年度を"
        "書いてください({found} が書かれています)。",
        "The profile figure 'furusato.loss_target_year' must be one of the fiscal years "
        "{first}-{last}, but {found} was found in {origin}.",
    ),
    "furusato_flows.no_gifts": (
        "プロファイル {origin} の項目 'furusato.gifts' には、返礼品の分類を一つ以上書いてください。",
        "The profile figure 'furusato.gifts' must hold at least one gift category in {origin}.",
    ),
    "furusato_flows.gift_keys": (
        "プロファイル {origin} の返礼品の分類 'furusato.gifts.{category}' に {missing} がありません。",
        "The gift category 'furusato.gifts.{category}' lacks {missing} in {origin}.",
    ),
    "furusato_flows.gift_lists": (
        "プロファイル {origin} の返礼品の分類 'furusato.gifts.{category}' には、items と amounts を"
        "一つ以上、variant_factors を variants と同じ数だけ書いてください。",
        "The gift category 'furusato.gifts.{category}' needs items, amounts and as many "
        "variant_factors as variants in {origin}.",
    ),
    "furusato_flows.gift_shipping": (
        "返礼品「{gift}」は送料が高く、経費を寄附額の 'max_total_share' 以下に収められません"
        "(年度の経費の合計を5割ルールの中に収めるための設定です)。プロファイルの [furusato.gifts] で、"
        "その分類の 'shipping' を下げるか 'amounts' を上げてください。",
        "The gift '{gift}' costs so much to ship that its costs cannot stay under "
        "'max_total_share' of its donation (which keeps the year's total costs under the 50% "
        "rule): lower its category's 'shipping' or raise its 'amounts' in the profile's "
        "[furusato.gifts] section.",
    ),
    "finance.needs_table": (
        "finance には {table} の表が必要です。先にその表を作るモジュールを実行してください。",
        "finance needs the {table} table: run the module that makes it first.",
    ),
    "finance.missing_column": (
        "finance が読む {table} の表に、列 {wanted} のどれもありません。ある列: {found}",
        "The {table} table that finance reads has none of the columns {wanted}. It has: {found}",
    ),
    "furusato_flows.needs_income_tax": (
        "furusato_flows には income_tax の表が必要です。先に income のモジュールを実行してください。",
        "furusato_flows needs the income_tax table: run the income module first.",
    ),
    "furusato_flows.income_columns": (
        "income_tax の表に、furusato_flows が読む列 {missing} がありません。ある列: {columns}",
        "The income_tax table lacks the column(s) {missing} that furusato_flows reads. It "
        "contains these columns: {columns}.",
    ),
    # --- evaluate -------------------------------------------------------------------------
    "evaluate.confidence": (
        "引数 'confidence'(信頼水準)は0より大きく1より小さい値で指定してください({got} が渡されました)。"
        "95%信頼区間なら 0.95 です。",
        "The 'confidence' parameter must be between 0 and 1 (exclusive), got {got}; use 0.95 "
        "for 95%.",
    ),
    "evaluate.not_numeric": (
        "列 '{column}'(引数 '{name}')は数値の列ではありません(型: {dtype}、例: {example})。"
        "平均や差を計算できるのは数値の列だけです。数字が文字として読み込まれているなら、"
        "pd.to_numeric(data['{column}']) で数値に変換してください。",
        "The column '{column}' (passed as '{name}') is not numeric (dtype {dtype}, e.g. "
        "{example}); convert it with pd.to_numeric or choose a numeric column.",
    ),
    "evaluate.no_values": (
        "列 '{column}' に使える値がありません(すべて欠損値か、行がありません)。",
        "The column '{column}' has no usable values.",
    ),
    "evaluate.not_binary": (
        "列 '{column}'(引数 '{name}')には0か1(または True か False)だけを入れてください"
        "(入っている値: {shown})。たとえば data['{column}'] == '対象' のように比較して、"
        "True/False の列を作ってから渡してください。",
        "The column '{column}' (passed as '{name}') must hold only 0/1 or True/False, but it "
        "holds {shown}.",
    ),
    "evaluate.not_a_date": (
        "引数 '{name}' の {got} を日付として読めません。'2021-07-01' のように年-月-日で書いてください。",
        "The value {got} in '{name}' is not a date; write it like '2021-07-01'.",
    ),
    "evaluate.time_not_number": (
        "引数 '{name}' の {got} は、時点の列 '{time}' と同じ数値で指定してください(例: {example})。"
        "列名のつもりなら、その列はデータにありません。",
        "The value {got} in '{name}' must be a number like the time column '{time}' (e.g. "
        "{example}); if it is a column name, the data has no such column.",
    ),
    "evaluate.period_pair": (
        "引数 '{name}' には (開始, 終了) の二つの時点を指定してください({got} が渡されました)。",
        "The '{name}' parameter must be a (start, end) pair, but {got} was passed.",
    ),
    "evaluate.period_incomparable": (
        "引数 '{name}' の {got} は、時点の列 '{time}' の値と比べられません(例: {example})。"
        "同じ形式で指定してください。",
        "The '{name}' value {got} cannot be compared with the time column '{time}' (e.g. "
        "{example}).",
    ),
    "evaluate.period_empty": (
        "引数 '{name}' の期間({text})に当たる行がありません。時点の列 '{time}' は {low}〜{high} です。",
        "No rows fall in the '{name}' period {text}; the time column '{time}' runs from {low} "
        "to {high}.",
    ),
    "evaluate.periods_overlap": (
        "引数 'period' と 'before' の期間が重なっています。重ならない二つの期間を指定してください。",
        "The 'period' and 'before' periods overlap; give two periods that do not.",
    ),
    "evaluate.period_too_few": (
        "{where}に当たる行が{count}行しかありません。比べるには各期間に2行以上必要です。"
        "期間の指定を確かめてください。",
        "The {where} has {count} rows; each period needs at least 2.",
    ),
    "evaluate.paired_too_few": (
        "両方の期間に観測がある単位('{unit}')が{count}個しかありません。"
        "単位ごとの変化を比べるには2個以上必要です。",
        "Only {count} units ('{unit}') are observed in both periods; at least 2 are needed.",
    ),
    "evaluate.groups_pair": (
        "引数 'groups' には比べる二つの値を (a, b) の形で指定してください({got} が渡されました)。",
        "The 'groups' parameter must be a pair (a, b), but {got} was passed.",
    ),
    "evaluate.group_value_missing": (
        "列 '{column}' に値 {value} はありません。ある値: {shown}",
        "The column '{column}' has no value {value}. It has: {shown}",
    ),
    "evaluate.group_levels": (
        "列 '{column}' には{count}種類の値があります({shown})。比べる二つを groups=(a, b) で"
        "指定してください。",
        "The column '{column}' has {count} values ({shown}); pass the two to compare as "
        "groups=(a, b).",
    ),
    "evaluate.group_varies": (
        "列 '{column}' の値が、同じ単位('{unit}')のなかで変わっています(例: {unit} = {example})。"
        "単位ごとに一つのグループに属するデータで比べてください。",
        "The column '{column}' changes within a unit ('{unit}' = {example}); each unit must "
        "belong to one group.",
    ),
    "evaluate.group_too_few": (
        "グループ {value} の{what}が{count}個しかありません。比べるには各グループに2個以上必要です。",
        "Group {value} has {count} {what}; at least 2 are needed.",
    ),
    "evaluate.within_no_convergence": (
        "単位と時点の効果を取り除く計算が収束しませんでした。単位ごとの観測時点がばらばらすぎる"
        "可能性があります。観測の少ない単位や時点を除いてください。",
        "Sweeping out unit and time effects did not converge; the panel is too unbalanced.",
    ),
    "evaluate.did_treated_varies": (
        "列 '{treated}' の値が、同じ単位のなかで変わっています(例: {unit} = {example})。"
        "'{treated}' には、単位が処置群なら1(True)、比較群なら0(False)を、すべての時点で同じ値で"
        "入れてください。事業の期間は引数 'post' で指定します。",
        "The column '{treated}' changes within a unit ({unit} = {example}); it must mark treated "
        "units with the same value at every time. Give the policy period with 'post'.",
    ),
    "evaluate.did_group_too_small": (
        "{group}の単位('{treated}' が{value}の単位)が{count}個しかありません。これでは、事業の"
        "効果とその単位に固有の変動を区別できません。{group}には{minimum}個以上の単位が必要です。",
        "There are only {count} {group} units ('{treated}' = {value}); the effect cannot be told "
        "apart from one unit's own shocks. At least {minimum} are needed.",
    ),
    "evaluate.did_no_period": (
        "処置群に、引数 'post' で指定した事業の{which}の観測がありません。差の差分析には、"
        "事業の期間中と期間外の両方の観測が必要です。期間の指定を確かめてください。",
        "The treated group has no observations {which} the 'post' period; both are needed.",
    ),
    "evaluate.did_no_comparison_in_post": (
        "比較群に、事業の期間中の観測がありません。比較群の同じ時期の動きが、差の差分析の基準になります。",
        "The comparison group has no observations in the 'post' period.",
    ),
    "evaluate.did_too_few_rows": (
        "観測が{count}行しかなく、単位と時点の効果({k}個)を推定するには足りません。",
        "There are {count} rows, too few for {k} unit and time effects.",
    ),
    "evaluate.hue_too_many": (
        "列 '{column}' には{count}個の値があり、色で見分けられる{maximum}個を超えています。"
        "比べたいグループに絞ってください。",
        "The column '{column}' has {count} values; at most {maximum} can be told apart.",
    ),
    "evaluate.event_spec": (
        "引数 'event' には開始時点か (開始, 終了) を指定してください({got} が渡されました)。",
        "The 'event' parameter must be a start or a (start, end) pair, but {got} was passed.",
    ),
    "evaluate.few_clusters": (
        "単位('{unit}')が{count}個しかありません。単位ごとにまとめた(クラスタ化した)標準誤差は"
        "単位が少ないと小さく出すぎるため、{minimum}個以上の単位が必要です。",
        "There are only {count} units ('{unit}'); standard errors clustered by unit need at "
        "least {minimum}.",
    ),
    "evaluate.arm_too_small": (
        "列 '{assigned}'(引数 'assigned')が{side}の人は{count}人しかいません。くじの効果を"
        "求めるには、当選者と落選者がそれぞれ{minimum}人以上必要です。落選者もデータから除かずに"
        "残してください。",
        "Only {count} applicants (units) have '{assigned}' {side}; the effect of the draw needs "
        "at least {minimum} winners and {minimum} losers. Keep the losers in the data.",
    ),
    "evaluate.assigned_varies": (
        "列 '{assigned}'(引数 'assigned')の値が、同じ単位('{unit}')のなかで変わっています"
        "(例: {unit} = {example})。くじの当落は1単位に一つなので、すべての行で同じ値を入れてください。",
        "The column '{assigned}' (passed as 'assigned') changes within a unit ('{unit}' = "
        "{example}); the draw gives each unit one result, the same in every row.",
    ),
    "evaluate.no_first_stage": (
        "当選者と落選者で、列 '{treated}'(引数 'treated')が1の人の割合が同じです(どちらも"
        "{share:.1%})。当選しても参加が増えていないので、くじを使って参加の効果を推定することは"
        "できません。くじの効果(ITT)だけなら、'treated' を指定せずに求められます。",
        "The share with '{treated}' = 1 is the same among winners and losers ({share:.1%}): "
        "the draw does not change take-up, so the effect of taking part cannot be estimated "
        "through it. Leave out 'treated' for the effect of winning (ITT).",
    ),
    "evaluate.rdd_side_empty": (
        "割当変数 '{running}'(引数 'running')が基準値 {cutoff} {side}の観測がありません"
        "(値の範囲: {low}〜{high})。回帰不連続デザインでは基準値の両側の観測を比べます。"
        "基準値(引数 'cutoff')と、データの絞り込み方を確かめてください。",
        "No observation of '{running}' (passed as 'running') lies {side} the cutoff {cutoff} "
        "(the values run from {low} to {high}); a regression discontinuity compares both sides. "
        "Check 'cutoff' and how the data were filtered.",
    ),
    "evaluate.rdd_too_few": (
        "基準値 {cutoff} の近くの観測が少なすぎて、回帰不連続デザインの推定ができません"
        "(基準値未満 {left}件、基準値以上 {right}件)。各側に、異なる値の観測が{minimum}件以上必要です。",
        "Too few observations near the cutoff {cutoff} to estimate the discontinuity ({left} "
        "below, {right} at or above); each side needs at least {minimum} distinct values.",
    ),
    "evaluate.rdd_failed": (
        "rdrobust による推定ができませんでした({reason})。基準値の近くの観測の数と、割当変数の"
        "値のばらつきを確かめてください。",
        "rdrobust could not estimate the discontinuity ({reason}); check the observations near "
        "the cutoff and the spread of the running variable.",
    ),
    "evaluate.covariates_empty": (
        "引数 'covariates' には、そろえる共変量の列名を一つ以上、リストで指定してください"
        "({got} が渡されました)。",
        "The 'covariates' parameter must be a list of one or more column names, but {got} was "
        "passed.",
    ),
    "evaluate.covariate_reused": (
        "列 '{column}' は引数 '{other}' にも使われているので、共変量にはできません。共変量には、"
        "事業の前に決まっていた値だけを使います。",
        "The column '{column}' is also passed as '{other}' and cannot be a covariate; use only "
        "values fixed before the programme.",
    ),
    "evaluate.covariate_type": (
        "共変量 '{column}' は数値でも区分(文字・カテゴリ)でもないため使えません(型: {dtype})。"
        "数値か区分の列を指定してください。",
        "The covariate '{column}' is neither numeric nor categorical (dtype {dtype}); pass a "
        "numeric or categorical column.",
    ),
    "evaluate.group_too_small": (
        "{group}(列 '{treated}' が{value})は{count}人しかいません。比べるには、処置群と"
        "比較群がそれぞれ{minimum}人以上必要です。",
        "Only {count} units are in the {group} ('{treated}' = {value}); the treated and the "
        "comparison group need at least {minimum} each.",
    ),
    "evaluate.covariates_collinear": (
        "共変量 {covariates} のなかに、ほかの共変量から完全に決まる列があります(同じ内容の列や、"
        "区分をすべて並べた列など)。重なっている列を除いてください。",
        "Some of the covariates {covariates} are fully determined by the others (a duplicate "
        "column, or every level of a category); leave the redundant ones out.",
    ),
    "evaluate.separation": (
        "共変量 {covariates} から、参加するかどうかが完全に予測できてしまいます。処置群と比較群の"
        "傾向スコア(共変量から予測した参加の確率)が重ならないので、比べられる相手がいません。"
        "共変量のどれかが、参加そのものや参加の結果になっていないか確かめてください。",
        "The covariates {covariates} predict participation perfectly: the propensity scores of "
        "the treated and the comparison group do not overlap, so no one has a comparable "
        "counterpart. Check that no covariate is participation itself or its consequence.",
    ),
    "evaluate.no_overlap": (
        "処置群と比較群の傾向スコア(共変量から予測した参加の確率)の範囲が重なっていません"
        "(処置群 {treated_range}、比較群 {control_range})。比べられる相手がいないので、"
        "マッチングでは効果を推定できません。",
        "The propensity scores of the treated ({treated_range}) and of the comparison group "
        "({control_range}) do not overlap; with no comparable controls, matching cannot "
        "estimate the effect.",
    ),
    "evaluate.no_comparable": (
        "処置群のうち{count}人は、傾向スコア(共変量から予測した参加の確率)が比較群のどれからも"
        "離れていて、比べられる相手がいません(例: 行 {examples})。共変量の重なる範囲にデータを"
        "絞るか、trim=True でそれらを除いて推定してください(効果は、比べられる相手のいる処置群に"
        "ついてのものになります)。",
        "{count} treated units have no comparable control: their propensity scores lie beyond "
        "every control's (e.g. rows {examples}). Restrict the data to the covariates' common "
        "range, or pass trim=True to leave them out (the effect is then for the treated units "
        "that have comparable controls).",
    ),
    "evaluate.event_treated_needed": (
        "引数 'event' に開始時点({event})を指定したときは、どの単位が事業を受けたかを引数 "
        "'treated'(0/1の列)で指定してください。単位ごとに開始時点が違うときは、開始時点の列名を "
        "'event' に指定します。",
        "With a start time in 'event' ({event}), pass 'treated' (a 0/1 column) to say which units "
        "received the programme; when units start at different times, pass the column of start "
        "times as 'event'.",
    ),
    "evaluate.event_not_a_time": (
        "引数 'event' の開始時点 {event} が、時点の列 '{time}' にありません(ある時点: {times})。"
        "開始時点は、データにある時点の値で指定してください。",
        "The start time {event} in 'event' is not a value of the time column '{time}' (it has "
        "{times}); give one of its values.",
    ),
    "evaluate.treated_varies": (
        "列 '{column}'(引数 '{name}')の値が、同じ単位のなかで変わっています(例: {unit} = "
        "{example})。単位ごとに、すべての時点で同じ値を入れてください。",
        "The column '{column}' (passed as '{name}') changes within a unit ({unit} = {example}); "
        "give each unit the same value at every time.",
    ),
    "evaluate.no_comparison_units": (
        "比較群(事業を受けない単位)が{count}個しかありません。イベントスタディでは比較群の同じ時期の"
        "動きを基準にするため、{minimum}個以上必要です。",
        "There are only {count} comparison units (never treated); the event study measures "
        "against their movement at the same time and needs at least {minimum}.",
    ),
    "evaluate.reference_missing": (
        "基準の時点(引数 'reference' = {reference}、事業開始からの時点)に処置群の観測がありません。"
        "観測のある時点を指定してください(ある時点: {periods})。",
        "The treated units have no observation at the reference period ('reference' = "
        "{reference}, counted from the start); choose one of {periods}.",
    ),
    "evaluate.window": (
        "引数 'window' には、事業開始からの時点で (最初, 最後) の二つの整数を、基準の時点 "
        "{reference} を含むように指定してください(例: (-6, 6))。{got} が渡されました。",
        "The 'window' parameter must be two integers (first, last), counted from the start and "
        "containing the reference period {reference}, e.g. (-6, 6); {got} was passed.",
    ),
    "evaluate.collinear": (
        "事業開始からの時点ごとの効果と、単位・時点の効果を区別できません(説明変数が重なっています)。"
        "比較群の単位があるか、時点の範囲(引数 'window')が広すぎないかを確かめてください。",
        "The effects by period since the start cannot be told apart from the unit and time "
        "effects (the regressors are collinear); check that there are comparison units and that "
        "'window' is not too wide.",
    ),
    "evaluate.effect_needs_se": (
        "引数 'effect' に数値を指定したときは、その標準誤差を引数 'std_error' で指定してください。"
        "evaluate の推定結果(EffectEstimate)を渡せば、標準誤差はそこから読み取ります。",
        "When 'effect' is a number, pass its standard error as 'std_error'; an EffectEstimate "
        "carries its own.",
    ),
    "evaluate.effect_zero": (
        "効果(引数 'effect')が0なので、{what}は求められません。",
        "The effect ('effect') is 0, so {what} cannot be computed.",
    ),
    # --- grading (build, grade, report, runner) and cli -----------------------------------
    "grading.not_started": (
        "先に、ノートブックの最初のほうにある start(...) のセルを実行してください"
        "(練習問題のデータを読み込み、答え合わせの準備をします)。",
        "Run the start(...) cell near the top of the notebook first: it loads the exercise's "
        "data and prepares the answer key.",
    ),
    "grading.strict_failed": (
        "{question}: 厳密モード(EBPMKIT_STRICT=1)で正解になりませんでした。{detail}",
        "{question} is not correct in strict mode (EBPMKIT_STRICT=1): {detail}.",
    ),
    "grading.start_unknown": (
        "練習問題「{exercise}」はありません(引数 'exercise')。start には次の番号のどれかを、"
        '"00" のように文字列で渡してください。\n{choices}',
        "There is no exercise {exercise!r} (the 'exercise' parameter). Pass one of these ids "
        "to start(), as a string: {choices}.",
    ),
    # --- friendly explanations of the errors learners make in their own code (friendly.py) --
    "friendly.original": ("元のエラー表示({ename})", "the original error ({ename})"),
    "friendly.missing_column": (
        "表に「{key}」という列はありません。",
        "The table has no column '{key}'.",
    ),
    "friendly.closest_columns": ("近い名前の列: {names}", "Columns with similar names: {names}"),
    "friendly.all_columns": ("この表の列: {names}", "The columns of this table: {names}"),
    "friendly.label_column": (
        "「{key}」は列 {column} の日本語の名前です。"
        '表の列は、表["{column}"] のように英語の列名で指定します。',
        "'{key}' is the Japanese label of the column {column}; write table[\"{column}\"].",
    ),
    "friendly.row_by_position": (
        "{position} 番目の行を取り出すときは、表.iloc[{position}] と書きます。",
        "To take row number {position}, write table.iloc[{position}].",
    ),
    "friendly.column_tip": (
        "列名のつづり(大文字・小文字、_ の位置)を確かめてください。"
        "列名の一覧は 表.columns で表示できます。",
        "Check the spelling of the column name; table.columns lists the columns.",
    ),
    "friendly.undefined_name": (
        "「{name}」という名前はまだありません(変数や関数が作られていません)。",
        "The name '{name}' is not defined.",
    ),
    "friendly.answer_placeholder": (
        "「答え」のところには、自分の答えを入れた変数(例: answer_q1)を書きます。",
        "Write the variable that holds your answer there (for example answer_q1).",
    ),
    "friendly.quote_id": (
        '問題番号は文字列なので、"{name}" のように引用符で囲んで書きます。',
        'Question ids are strings: write "{name}" in quotes.',
    ),
    "friendly.defined_by": (
        "{name} は、{statement} を実行すると使えるようになります。",
        "{name} is defined by running {statement}.",
    ),
    "friendly.closest_names": ("近い名前: {names}", "Similar names: {names}"),
    "friendly.run_above": (
        "その名前を作るセルが上にあるなら、上のセルを上から順に実行してから、"
        "もう一度このセルを実行してください。カーネルを再起動すると、作った変数はすべて消えます。",
        "If a cell above defines it, run the cells above in order first; "
        "restarting the kernel forgets every variable.",
    ),
    "friendly.no_attribute": (
        "{kind}には「{name}」という名前の列もメソッドもありません。",
        "A {kind} has no column or method named '{name}'.",
    ),
    "friendly.no_method": (
        "{kind}には「{name}」というメソッドはありません。",
        "A {kind} has no method named '{name}'.",
    ),
    "friendly.use_column": (
        '列 {column} のことなら、表["{column}"] と書きます。',
        'For the column {column}, write table["{column}"].',
    ),
    "friendly.closest_methods": (
        "近い名前のメソッド: {names}",
        "Methods with similar names: {names}",
    ),
    "friendly.removed_method": (
        "{name} は、いまの pandas では使えません。代わりに {instead} を使います。",
        "{name} was removed from pandas; use {instead} instead.",
    ),
    "friendly.text_vs_number": (
        "文字列(テキスト)と数値を比べようとしています。",
        "A text value is compared with a number.",
    ),
    "friendly.text_vs_number_do": (
        "列の型を 表.dtypes で確かめてください。数値の列なら 65 のように引用符なしで、"
        '文字列の列なら "東部" のように引用符で囲んで書きます。',
        "Check the column types with table.dtypes: write numbers without quotes, text in quotes.",
    ),
    "friendly.ambiguous": (
        "列(Series)の条件を、if・and・or で使おうとしています。",
        "A condition on a Series is used with if, and, or or.",
    ),
    "friendly.ambiguous_do": (
        "条件を組み合わせるときは and・or ではなく &(かつ)・|(または)を使い、"
        '条件をそれぞれ丸かっこで囲みます。例: (df["age"] >= 65) & (df["sex"] == "女性")',
        "Combine conditions with & and | instead of and and or, each condition in parentheses.",
    ),
    "friendly.text_arithmetic": (
        "文字列(テキスト)と数値で計算しようとしています。",
        "Text and numbers are mixed in a calculation.",
    ),
    "friendly.text_arithmetic_do": (
        "計算に使う値が数値になっているか確かめてください。数値が文字列で入っている列は "
        "pd.to_numeric(列) で数値にできます。文章に数値を入れるときは str(数値) で文字列にします。",
        "Make sure the values are numbers (pd.to_numeric converts a text column); "
        "use str(number) to put a number into a text.",
    ),
    "friendly.not_callable": (
        "{kind}は関数ではないので、丸かっこ ( ) では呼び出せません。",
        "A {kind} is not a function and cannot be called with ( ).",
    ),
    "friendly.not_callable_do": (
        '列を取り出すときは、表["列名"] のように角かっこ [ ] を使います。',
        'Use square brackets to take a column: table["column"].',
    ),
    "friendly.not_a_number": (
        "{value} を数値に変換できません。",
        "{value} cannot be converted to a number.",
    ),
    "friendly.not_a_number_do": (
        "カンマ、単位(円・人など)、空白が入っていないか確かめてください。"
        'pd.to_numeric(列, errors="coerce") を使うと、変換できない値を欠損値(NaN)にできます。',
        'Remove commas, units and spaces; pd.to_numeric(column, errors="coerce") turns values '
        "it cannot convert into NaN.",
    ),
    "friendly.merge_types": (
        "結合(merge)に使う列 {key} の型が、二つの表で違います({left} と {right})。",
        "The merge key {key} has different types in the two tables ({left} and {right}).",
    ),
    "friendly.merge_types_do": (
        '両方の表で型をそろえてから結合してください。例: 表["{key}"] = 表["{key}"].astype(str)',
        'Give the key the same type in both tables first, e.g. table["{key}"].astype(str).',
    ),
    "friendly.text_reduction": (
        "文字列の列で {operation} を計算しようとしています。",
        "{operation} is computed over a text column.",
    ),
    "friendly.text_reduction_do": (
        '計算したい数値の列を選んでから計算してください(例: 表["age"].mean())。'
        "表全体で計算するなら numeric_only=True を付けると、数値の列だけを計算します。",
        'Select the numeric column first (table["age"].mean()), or pass numeric_only=True.',
    ),
    "grading.not_registered": (
        "練習問題 {exercise} は登録されていません(引数 '{name}')。登録されている練習問題: {ids}",
        "No exercise {exercise} is registered (the '{name}' parameter); registered: {ids}.",
    ),
    "grading.unknown_question": (
        "引数 'question' の {question} という問題は練習問題 {exercise} にありません。問題番号: {ids}",
        "Exercise {exercise} has no question {question} (the 'question' parameter); it has {ids}.",
    ),
    "grading.registered": (
        "練習問題 {exercise} は既に登録されています。置き換えるときは replace=True を指定してください"
        "(引数 'exercise')。",
        "Exercise {exercise} is already registered (the 'exercise' parameter); pass "
        "replace=True to replace it.",
    ),
    "bank.misconception": (
        "Misconception には名前(name)、答えを計算する関数 answer(ds)、ヒント(hint)が必要です"
        "(name={name})。",
        "Misconception needs a name, a callable answer(ds) and a hint; got name={name}.",
    ),
    "bank.question_id": (
        "Question の引数 'id' には英数字・'_'・'-'・'.' だけを使ってください({got} が渡されました)。",
        "The 'id' of a Question must be letters, digits, '_', '-' or '.', but {got} was passed.",
    ),
    "bank.points": (
        "問題 {question} の引数 'points' には0以上の整数を指定してください({got} が渡されました)。",
        "Question {question}: 'points' must be an integer >= 0, but {got} was passed.",
    ),
    "bank.expected": (
        "問題 {question} の引数 'expected' には、正解を計算する関数 expected(ds) を指定してください。",
        "Question {question}: 'expected' must be a callable expected(ds).",
    ),
    "bank.hints": (
        "問題 {question} の引数 'hints' には、文字列のタプルを指定してください。",
        "Question {question}: 'hints' must be a tuple of str.",
    ),
    "bank.options": (
        "問題 {question} は選択式(kind='choice')なので、引数 'options' に選択肢を指定してください。",
        "Question {question}: a choice question needs 'options'.",
    ),
    "bank.tolerance": (
        "問題 {question} の引数 'atol' と 'rtol' には0以上の数値を指定してください"
        "(atol={atol}、rtol={rtol} が渡されました)。",
        "Question {question}: 'atol' and 'rtol' must be >= 0, but atol={atol}, rtol={rtol} "
        "were passed.",
    ),
    "bank.synonyms": (
        "問題 {question} の引数 'synonyms' は、選択肢ごとに書き方のタプルを対応させる辞書です。"
        "使えるのは選択式とグラフの問題(kind='choice'、'chart')だけです。",
        "Question {question}: 'synonyms' must map each option to a tuple of spellings, and "
        "only choice and chart questions have them.",
    ),
    "bank.duplicate_ids": (
        "練習問題 {exercise} の問題番号が重複しています(引数 'questions': {ids})。",
        "Exercise {exercise}: question ids must be unique (the 'questions' parameter), got {ids}.",
    ),
    "build.end_without_begin": (
        "{where}: '### END SOLUTION' の前に '### BEGIN SOLUTION' がありません。",
        "{where}: END SOLUTION without BEGIN SOLUTION.",
    ),
    "build.nested": (
        "{where}: 解答の範囲('### BEGIN SOLUTION')が入れ子になっています。",
        "{where}: BEGIN SOLUTION inside another solution region.",
    ),
    "build.begin_without_end": (
        "{where}: '### BEGIN SOLUTION' に対応する '### END SOLUTION' がありません。",
        "{where}: BEGIN SOLUTION without END SOLUTION.",
    ),
    "build.no_exercise": (
        '{source}: ノートブックのメタデータに ebpmkit.exercise("00" のような練習問題番号)を'
        "書いてください。",
        '{source}: the notebook metadata has no ebpmkit.exercise (the exercise id, e.g. "00").',
    ),
    "build.checks_differ": (
        "{source}: ノートブックの check(...) と練習問題 {exercise} の問題の定義({declared})が"
        "一致しません(足りない問題: {missing}、定義にない問題: {unknown})。",
        "{source}: exercise {exercise} declares {declared}; the notebook's check(...) calls "
        "miss {missing} and name unknown {unknown}.",
    ),
    "build.no_solutions": (
        "解答のフォルダ {folder} がありません(引数 'solutions'、コマンドでは --solutions)。",
        "The solutions folder {folder} does not exist (the 'solutions' parameter, "
        "--solutions on the command line).",
    ),
    "build.unreadable": (
        "{path}: ノートブックとして読めません({reason})。",
        "{path}: cannot read the notebook ({reason}).",
    ),
    # --- the learner edition and collecting notebooks (edition.py, grading/collect.py) ---
    "edition.missing_part": (
        "引数 '{name}' の教材フォルダに {part} がありません(受講者用の教材に入れるものです)。",
        "The curriculum folder (the '{name}' parameter) lacks {part}, which the learner "
        "edition needs.",
    ),
    "edition.solution_found": (
        "引数 '{name}' の教材の {path} に解答が含まれているため、受講者用の教材を作りませんでした。"
        "ebpmkit build で練習問題を作り直してください。",
        "The curriculum (the '{name}' parameter) would put a solution into the learner "
        "edition through {path}; nothing was written. Rebuild the exercises with ebpmkit build.",
    ),
    "edition.not_a_folder": (
        "引数 '{name}' の {path} はファイルです。受講者用の教材を書き出すフォルダを指定してください。",
        "{path} (the '{name}' parameter) is a file; give a folder for the learner edition.",
    ),
    "edition.foreign_folder": (
        "引数 '{name}' のフォルダ {path} は空でなく、受講者用の教材のフォルダでもありません。"
        "中のファイルを消さないよう、何も書き出しませんでした。新しいフォルダを指定してください。",
        "The folder {path} (the '{name}' parameter) is neither empty nor a learner edition; "
        "nothing was written so that its files are kept. Give a new folder.",
    ),
    "edition.bad_branch": (
        "引数 '{name}' にはブランチの名前を指定してください({got} が渡されました)。",
        "The '{name}' parameter must be a branch name, but {got} was passed.",
    ),
    "edition.no_git": (
        "git が見つからないため、受講者用の教材を作れません。git を入れてください。",
        "git is not installed, so the learner edition cannot be written. Install git.",
    ),
    "edition.git_failed": (
        "git {command} が失敗しました: {output}",
        "git {command} failed: {output}",
    ),
    "edition.out_of_date": (
        "受講者用の教材 {folder} は古くなっています({count}個のファイルが違います: {files})。"
        "ebpmkit edition --out {folder} で更新してください。",
        "The learner edition {folder} is out of date ({count} files differ: {files}). "
        "Update it with ebpmkit edition --out {folder}.",
    ),
    "edition.current": (
        "受講者用の教材 {folder} は最新です。",
        "The learner edition {folder} is up to date.",
    ),
    "edition.written": (
        "受講者用の教材を {folder} に書き出しました({count}個のファイルを更新、コミット {commit})。",
        "Wrote the learner edition to {folder} ({count} files changed, commit {commit}).",
    ),
    "edition.unchanged": (
        "受講者用の教材 {folder} は最新のため、何も変えていません。",
        "The learner edition {folder} was up to date; nothing changed.",
    ),
    "edition.bad_hub": (
        "引数 '{name}' には JupyterHub のアドレス(http:// か https:// で始まるもの)を指定して"
        "ください({got} が渡されました)。",
        "The '{name}' parameter must be the JupyterHub's address (http:// or https://), but "
        "{got} was passed.",
    ),
    "edition.bad_repo": (
        "引数 '{name}' には教材の git リポジトリ(URL かハブ上のパス)を指定してください"
        "({got} が渡されました)。",
        "The '{name}' parameter must be the edition's git repository (a URL or a path on the "
        "hub), but {got} was passed.",
    ),
    "edition.bad_path": (
        "引数 '{name}' には教材の中のファイルを相対パスで指定してください({got} が渡されました)。",
        "The '{name}' parameter must be a relative path inside the edition, but {got} was passed.",
    ),
    "collect.no_homes": (
        "引数 '{name}' のフォルダ {path} が見つかりません(受講者のホームフォルダが並ぶフォルダを"
        "指定してください)。",
        "The folder {path} (the '{name}' parameter) does not exist; give the folder that holds "
        "the learners' home folders.",
    ),
    "collect.inside_homes": (
        "引数 '{name}' の集める先 {path} が、受講者のホームフォルダの中にあります。別の場所を"
        "指定してください。",
        "The destination {path} (the '{name}' parameter) is inside the learners' homes; give "
        "another place.",
    ),
    "collect.copied": (
        "{learner}: {source} を集めました。",
        "{learner}: collected {source}.",
    ),
    "collect.several": (
        "{learner}: 練習問題のノートブックが{count}個あります({files})。{chosen} を集めました。",
        "{learner}: {count} notebooks of the exercise ({files}); collected {chosen}.",
    ),
    "collect.none": (
        "{learner}: 練習問題 {exercise} のノートブックがありません。",
        "{learner}: no notebook of exercise {exercise}.",
    ),
    "collect.unreadable": (
        "{learner}: ホームフォルダを読めませんでした({reason})。",
        "{learner}: the home folder could not be read ({reason}).",
    ),
    "collect.summary": (
        "{copied}人分を {folder} に集めました(ノートブックがない人: {missing}人)。",
        "Collected {copied} notebooks into {folder} ({missing} learners have none).",
    ),
    "collect.next": (
        "次に採点します:",
        "Next, grade them:",
    ),
    "grade.no_submission": (
        "引数 'paths' の提出物 {path} が見つかりません。",
        "The submission path {path} (the 'paths' parameter) does not exist.",
    ),
    "grade.sandbox_missing": (
        "提出物を安全に実行するためのサンドボックス(bubblewrap)がこのコンピューターにないため、"
        "採点を始めませんでした。受講者のコードが、講師や他の受講者のファイルを消したり読んだり"
        "できてしまうためです。管理者権限があれば sudo apt install bubblewrap"
        "(Fedora などでは sudo dnf install bubblewrap)で入れてください。JupyterHub などで権限が"
        "ない場合は、サーバーの管理者に bubblewrap を入れるよう依頼してください。どうしても"
        "サンドボックスなしで採点する場合は --no-sandbox を付けます(その旨が結果に表示されます)。",
        "Grading did not start: no sandbox (bubblewrap) is installed, so learners' code could "
        "delete or read the trainer's and other learners' files. Install it with "
        "'sudo apt install bubblewrap' (or 'sudo dnf install bubblewrap'), or ask the hub's "
        "administrator to. To grade without a sandbox anyway, pass --no-sandbox (the report "
        "says so).",
    ),
    "grade.sandbox_broken": (
        "サンドボックス(bubblewrap)は入っていますが、試しに起動したところ失敗したため、採点を"
        "始めませんでした(理由: {reason})。多くの場合、このサーバーでは権限のない利用者が"
        "ユーザー名前空間(user namespace)を作れない設定になっています。サーバーの管理者に"
        "相談してください。どうしてもサンドボックスなしで採点する場合は --no-sandbox を付けます。",
        "Grading did not start: bubblewrap is installed but a test sandbox failed ({reason}). "
        "Usually the server does not let unprivileged users create user namespaces; ask its "
        "administrator. To grade without a sandbox anyway, pass --no-sandbox.",
    ),
    "grade.sandbox_used": (
        "サンドボックス: {mechanism}(提出物ごとに、ネットワークなし・自分の複製だけ書き込み可)",
        "sandbox: {mechanism} (per submission: no network, only its own copy writable)",
    ),
    "grade.sandbox_off": (
        "サンドボックスなしで採点しました(--no-sandbox)。提出物のコードは講師の権限で実行されました。",
        "graded WITHOUT a sandbox (--no-sandbox): submissions ran with the trainer's permissions.",
    ),
    "cli.unknown_arguments": (
        "使えないオプションがあります: {arguments}(使えるオプションは ebpmkit COMMAND --help で確認できます)",
        "unrecognized arguments: {arguments} (see ebpmkit COMMAND --help)",
    ),
    "cli.interrupted": ("中断しました。", "Interrupted."),
    "cli.class_alone": (
        "generate --class は研修で使うデータをすべて作るので、{options} とは一緒に使えません。"
        "自治体と seed は環境変数 EBPMKIT_PROFILE と EBPMKIT_SEED で指定してください。",
        "generate --class makes every dataset of the class, so it cannot be combined with "
        "{options}; set the municipality and seed with EBPMKIT_PROFILE and EBPMKIT_SEED.",
    ),
    "cli.opendata_needs_out": (
        "書き出すフォルダを --out で指定してください(確かめるだけなら --check フォルダ)。",
        "Give the folder to write with --out (or only check a folder with --check FOLDER).",
    ),
    "cli.list_needs_class": (
        "--list は --class と一緒に使います(ebpmkit generate --class --list)。",
        "--list goes with --class (ebpmkit generate --class --list).",
    ),
    "cli.class_file_needs_class": (
        "--write-class-file は --class と一緒に使います"
        "(ebpmkit generate --class --write-class-file)。",
        "--write-class-file goes with --class (ebpmkit generate --class --write-class-file).",
    ),
    "classdata.no_lessons": (
        "レッスンのフォルダ {folder} が見つかりません。",
        "The lessons folder {folder} was not found.",
    ),
    # --- widgets and the workshop (the managers' dashboards: widgets.py, workshop.py) -----
    "widgets.unexpected": (
        "この組み合わせでは表示できませんでした。選んだ値を一つ前に戻してください。",
        "This combination could not be shown; undo the last change.",
    ),
    "widgets.unknown_indicator": (
        "指標 {got} はありません。選べる指標: {names}",
        "There is no indicator {got}. Indicators: {names}",
    ),
    "widgets.year_outside": (
        "年度 {got} のデータはありません。{first}〜{last}年度の中から選んでください。",
        "There are no data for the fiscal year {got}; choose a year from {first} to {last}.",
    ),
    "widgets.no_district": (
        "住区が選ばれていません。一覧から一つ以上選んでください。",
        "No district is chosen; choose at least one from the list.",
    ),
    "widgets.unknown_district": (
        "住区 {got} はありません。{first}〜{last} の住区コードを選んでください。",
        "There is no district {got}; choose district codes from {first} to {last}.",
    ),
    "widgets.too_many_districts": (
        "住区が {count} 個選ばれています。色で見分けられるように、{limit} 個までにしてください。",
        "{count} districts are chosen; choose at most {limit} so the colours stay distinct.",
    ),
    "widgets.unknown_comparison": (
        "比較の方法 {got} はありません。選べる方法: {options}",
        "There is no comparison {got}. Comparisons: {options}",
    ),
    "widgets.compare_district": (
        "比べる住区を、選んだ住区とは別に一つ選んでください。",
        "Choose one district to compare with, other than the districts already chosen.",
    ),
    "widgets.base_year": (
        "比べる年度 {got} は選べません。{first}年度から{end}年度の前の年度までの中から選んでください。",
        "The year to compare with ({got}) must be from {first} to the year before {end}.",
    ),
    "widgets.export_failed": (
        "フォルダ {folder} に保存できませんでした({reason})。",
        "Could not save into the folder {folder} ({reason}).",
    ),
    "widgets.cap_below_price": (
        "1人あたりの購入上限({cap})が1セットの価格({price})より低いので、1セットも買えません。"
        "上限を上げるか、価格を下げてください。",
        "The purchase cap ({cap}) is below the price of one set ({price}), so nobody can buy; "
        "raise the cap or lower the price.",
    ),
    "widgets.budget_too_small": (
        "予算 {budget} では、1セット分のプレミアムと事務費({one_set})も払えません。予算を増やしてください。",
        "A budget of {budget} does not cover the premium and administration of one set "
        "({one_set}); raise the budget.",
    ),
    "widgets.no_eligible": (
        "この条件({age}歳以上)にあてはまる住民がいません。対象の条件をゆるめてください。",
        "No resident meets these conditions (aged {age} or over); widen the eligibility.",
    ),
    "widgets.premium_rate": (
        "プレミアム率は 0% より大きく 100% 以下にしてください({got} が選ばれました)。",
        "The premium rate must be above 0% and at most 100% ({got} was chosen).",
    ),
    "widgets.set_price": (
        "1セットの価格は 1円以上にしてください({got} が選ばれました)。",
        "The price of one set must be at least 1 yen ({got} was chosen).",
    ),
    "widgets.admin_share": (
        "事務費の割合は 0% 以上 90% 未満にしてください({got} が選ばれました)。",
        "The administration share must be from 0% to below 90% ({got} was chosen).",
    ),
    "widgets.mix_total": (
        "返礼品の構成比の合計が {total}% です。合計が100%になるように直してください"
        "(「構成比の合計を100%にそろえる」を押すと、比を保ったまま100%にします)。",
        "The gift mix adds up to {total}%; make it 100% (the button rescales it).",
    ),
    "widgets.share_range": (
        "割合 {name} は 0〜100% の範囲にしてください({got}% が選ばれました)。",
        "The share {name} must be from 0 to 100% ({got}% was chosen).",
    ),
    "widgets.growth_range": (
        "寄附の増加の仮定は -90%〜+500% の範囲にしてください({got}% が選ばれました)。",
        "The assumed change in donations must be from -90% to +500% ({got}% was chosen).",
    ),
    "widgets.no_donations": (
        "{year}年度の寄附の受入れのデータがないため、見込みを計算できません。",
        "There are no donations received in the fiscal year {year}, so nothing can be projected.",
    ),
    "workshop.no_notebooks": (
        "研修のノートブックが見つかりません(フォルダ {folder})。教材のフォルダ"
        "(notebooks/manager のあるフォルダ)で ebpmkit workshop を実行してください。",
        "No workshop notebooks in {folder}; run ebpmkit workshop in the curriculum folder "
        "(the one holding notebooks/manager).",
    ),
    "opendata.not_dataset": (
        "引数 'dataset' には load() の Dataset か、resident_years と chome を含む表の辞書を"
        "指定してください({got} が渡されました)。",
        "The 'dataset' parameter must be a Dataset from load() or a dict of tables holding "
        "resident_years and chome, but {got} was passed.",
    ),
    "opendata.no_folder": (
        "引数 'folder' のフォルダ {folder} がありません。ebpmkit opendata --out で書き出した"
        "フォルダを指定してください。",
        "The 'folder' parameter {folder} does not exist; give a folder written by "
        "ebpmkit opendata --out.",
    ),
    "opendata.no_files": (
        "フォルダ {folder} にオープンデータの CSV がありません。",
        "The folder {folder} holds no open-data CSV files.",
    ),
    "opendata.not_utf8": (
        "{file}: UTF-8 で読めません。文字コードを UTF-8 にしてください。",
        "{file}: not valid UTF-8; save it as UTF-8.",
    ),
    "opendata.header": (
        "{file}: 見出し行が標準の様式と違います(最初の違い: {column} 列目、"
        "標準は「{expected}」、ファイルは「{got}」)。",
        "{file}: the header differs from the standard (first difference at column {column}: "
        "the standard has '{expected}', the file '{got}').",
    ),
    "opendata.bad_value": (
        "{file} {row} 行目: 「{column}」の値 {got} は0以上の整数ではありません"
        "(秘匿したセルは空欄にします)。",
        "{file} line {row}: '{column}' holds {got}, not a non-negative integer (suppressed "
        "cells are left empty).",
    ),
    "opendata.small_cell": (
        "{file} {row} 行目({area}): 「{column}」が {got} で、{threshold} 未満の値が"
        "公開されています。",
        "{file} line {row} ({area}): '{column}' is {got}, a published value below {threshold}.",
    ),
    "opendata.recoverable": (
        "{date} の {area}「{column}」は秘匿されていますが、公開された合計から逆算できます。",
        "{date}: {area} '{column}' is suppressed but can be calculated back from the "
        "published totals.",
    ),
    "opendata.unknown_area": (
        "{file} {row} 行目: 地域コード {code} の形が読めません(町丁は D01-C001、住区は D01、"
        "全体は空欄)。",
        "{file} line {row}: area code {code} is not of a known form (chome D01-C001, district "
        "D01, the whole municipality empty).",
    ),
    "opendata.totals_differ": (
        "{date} の自治体全体の行が、ファイルによって違います。",
        "{date}: the rows for the whole municipality differ between files.",
    ),
    "widgets.proposal_choice": (
        "提案の項目 '{name}' に {got} は選べません。選べる値: {options}",
        "The proposal field '{name}' cannot be {got}. Choices: {options}",
    ),
}


class Message(str):
    """A filled catalogue entry: the Japanese text, a line break, then the English text.

    It is a ``str`` (an exception takes it as it is) that remembers its two halves, so it can
    fill a placeholder of another entry in each language.

    Examples
    --------
    >>> m = Message("表がありません。", "There is no table.")
    >>> m.ja, m.en
    ('表がありません。', 'There is no table.')
    >>> str(m)
    '表がありません。\\nThere is no table.'
    """

    ja: str
    en: str

    def __new__(cls, ja: str, en: str) -> Message:
        self = super().__new__(cls, f"{ja}\n{en}")
        self.ja, self.en = ja, en
        return self

    def __getnewargs__(self) -> tuple[str, str]:  # type: ignore[override]
        # pickle and copy rebuild a Message from its two halves
        return self.ja, self.en


def _fields(fields: dict[str, object]) -> tuple[dict[str, object], dict[str, object]]:
    """The values for the Japanese and for the English template."""
    ja: dict[str, object] = {}
    en: dict[str, object] = {}
    for name, value in fields.items():
        if name.endswith("_en") and name.removesuffix("_en") in fields:
            continue
        if isinstance(value, Message):
            ja[name], en[name] = value.ja, value.en
        else:
            ja[name] = en[name] = value
        if f"{name}_en" in fields:
            en[name] = fields[f"{name}_en"]
    return ja, en


def message(key: str, /, **fields: object) -> Message:
    """Return the message ``key`` in Japanese, then English on the next line.

    Parameters
    ----------
    key : str
        A key of :data:`MESSAGES`.
    **fields
        Values for the templates' placeholders; both languages use the same names. A field
        ``<name>_en`` gives the English value of ``<name>``; a :class:`Message` value gives
        each language its own half.

    Returns
    -------
    Message
        ``"<Japanese>\\n<English>"``, a ``str``.

    Examples
    --------
    >>> message("param_type", name="seed", accepted="整数", accepted_en="an integer", got="1.5")
    "引数 'seed' には整数を指定してください(1.5 が渡されました)。\\nThe 'seed' parameter must be an integer, but 1.5 was passed."
    >>> print(message("param.choice", name="variant", options="'raw', 'anonymized'", got="'x'"))
    引数 'variant' には 'raw', 'anonymized' のいずれかを指定してください('x' が渡されました)。
    The 'variant' parameter must be one of 'raw', 'anonymized', but 'x' was passed.
    """
    japanese, english = MESSAGES[key]
    ja, en = _fields(fields)
    return Message(japanese.format(**ja), english.format(**en))
