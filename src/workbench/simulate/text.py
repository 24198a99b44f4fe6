"""Chinese post text for simulated incidents: many templates and vocabularies per incident
type and phase, generic openers, opinions, slang, Weibo emoticons ``[怒]``, emoji, hashtags
``#...#``, @mentions, repost chains ``//@name: ...``, news-headline style for news channels and
forum style for forums.

Templates hold ``{slot}`` placeholders. A slot is filled from the context: the scenario's
place, actors and facts, plus each incident type's own vocabulary lists (one item drawn at
random per use), so the same template yields different sentences. All randomness comes from
the ``numpy.random.Generator`` passed in, so text is deterministic for a seed.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

_SLOT = re.compile(r"\{([a-z_]+)\}")

# --------------------------------------------------------------------------------------
# Shared pieces
# --------------------------------------------------------------------------------------
OPENERS = [
    "刚刚", "卧槽", "天呐", "救命", "家人们", "说真的，", "我真的服了，", "好家伙，", "震惊！",
    "有没有人知道，", "不是吧，", "啊啊啊", "真的假的？", "离谱，", "我的天，", "速看！", "注意了，",
    "早上刷到的，", "朋友圈都在传，", "我就想问问，", "讲真，", "一觉醒来，", "同事刚说，", "紧急扩散！",
    "各位，", "重要的事说三遍：", "哎，", "emmm，", "刷了一晚上，", "看完心情很复杂，",
]
SLANG = [
    "离大谱", "破防了", "无语子", "吃瓜", "蹲一个后续", "麻了", "真的栓Q", "细思极恐", "人间清醒",
    "懂的都懂", "狠狠共情了", "绝了", "我哭死", "这谁顶得住", "血压上来了", "DNA动了", "吃瓜群众前排",
    "先马住", "有一说一", "属实是", "太真实了", "不敢相信", "我人傻了", "服气", "笑不出来",
    "坐等官方回应", "持续关注中", "转发扩散", "求真相", "大无语事件",
]
EMOTICONS = {
    "negative": ["[怒]", "[泪]", "[抓狂]", "[悲伤]", "[吃惊]", "[费解]", "[哆嗦]", "[蜡烛]", "[生病]",
                 "[允悲]", "[衰]", "[怒骂]", "[失望]", "[伤心]", "[汗]"],
    "neutral": ["[吃瓜]", "[思考]", "[doge]", "[二哈]", "[费解]", "[允悲]", "[笑cry]", "[并不简单]",
                "[微笑]", "[围观]"],
    "positive": ["[心]", "[赞]", "[good]", "[加油]", "[给力]", "[鼓掌]", "[哈哈]", "[抱抱]", "[奥特曼]",
                 "[太开心]", "[爱你]"],
}
EMOJI = {
    "negative": ["😡", "😭", "😱", "😨", "💔", "😤", "🕯️", "😰", "🤬", "😢"],
    "neutral": ["🤔", "👀", "🍉", "😶", "🙄", "📢", "❓"],
    "positive": ["👍", "🙏", "❤️", "💪", "🌈", "👏", "🌹", "😊"],
}
OPINIONS = {
    "negative": [
        "这也太可怕了", "必须严查到底", "到底是谁的责任？", "监管都去哪了", "真的寒心", "能不能给个说法",
        "一定要追责", "出了事就知道捂", "老百姓的命不是命吗", "每次都是事后才重视", "看得我又气又难受",
        "希望不要又是不了了之", "太让人失望了", "这种事怎么还会发生", "别再删帖了行吗", "真相呢？",
        "有关部门出来说句话", "越想越后怕", "心疼受影响的人", "这回必须有人负责", "整改了多少次了",
        "信息为什么这么慢", "说好的公开透明呢", "对不起，我笑不出来", "说到底还是管理有问题",
    ],
    "neutral": [
        "持续关注", "蹲一个后续", "等官方通报", "先别急着下结论", "信息来源：现场网友", "具体情况还不清楚",
        "有知道内情的吗", "看看后面怎么说", "理性讨论", "不信谣不传谣", "转需", "有没有更多消息",
        "等权威发布", "据说还在核实", "让子弹飞一会儿", "关注一下", "同求真相", "坐等后续",
        "看评论区说法不一", "先马住",
    ],
    "positive": [
        "致敬一线的工作人员", "辛苦了", "加油，一定会好起来", "希望大家平安", "官方回应很及时，点赞",
        "处理得挺快的", "这次的通报很详细", "感谢辟谣", "愿平安", "给救援人员点赞", "相信会有一个交代",
        "正能量", "大家都在互帮互助，感动", "这波操作可以", "信息公开得好，支持", "守护好每一个人",
        "好样的", "暖心",
    ],
}
REPOST_COMMENTS = {
    "negative": [
        "气死了", "太过分了", "必须追责！", "这都什么事啊", "无语", "转发，希望有人管管", "可怕", "心寒",
        "真的假的", "严查！", "又是这样", "看不下去了", "愤怒", "细思极恐", "扩散", "离谱",
    ],
    "neutral": [
        "转发微博", "关注", "蹲", "mark", "转", "有后续吗", "扩散一下", "吃瓜", "码住", "转发",
        "了解一下", "等通报", "看看", "求证",
    ],
    "positive": [
        "辛苦了", "加油", "点赞", "平安", "致敬", "支持", "感谢", "好消息", "暖心", "谢谢辟谣",
    ],
}
FORUM_OPENERS = [
    "本地人，说几句。", "潜水多年第一次发帖。", "楼主在现场附近，", "小白求问：", "有没有本地的兄弟说说情况？",
    "整理了一下目前的信息：", "转自某群，真假自辨：", "来晚了，", "客观说两句，", "回楼上，",
]
FORUM_REPLIES = [
    "顶一下", "楼主说的对", "同问", "坐等更新", "插眼", "我也听说了", "楼上别带节奏", "有图吗",
    "求后续", "支持楼主", "信息量有点大", "这帖子要火", "别传谣了，等通报", "本地人表示确实如此",
    "沙发", "mark一下", "看完沉默了", "说得在理", "楼主辛苦", "不好说",
]
NEWS_OUTLETS_SUFFIX = ["（记者 {reporter}）", "（{media}记者 {reporter} 报道）", "", "（来源：{media}）", "（通讯员 {reporter}）"]
REPORTERS = ["张明", "李晓", "王思远", "陈静", "刘洋", "赵一鸣", "周婷", "吴昊", "孙悦", "郑凯", "林立", "何雯"]

# --------------------------------------------------------------------------------------
# Incident types: templates per phase and their own vocabulary.
# Phases: onset (first reports), spread (discussion), detail (facts), question (demands),
# rumour, official (the authority's post), debunk, react_official, aftermath, plus news
# headlines/bodies, forum titles and type-specific opinions.
# --------------------------------------------------------------------------------------
INCIDENTS: dict[str, dict[str, Any]] = {
    "chemical_explosion": {
        "hashtags": ["{city}{district}化工厂爆炸", "{city}爆炸", "{enterprise_short}爆炸事故", "为{city}祈福",
                     "{city}化工园区爆炸最新消息"],
        "vocab": {
            "sound": ["一声巨响", "砰的一声", "两声闷响", "连续几声爆炸", "一声特别响的爆炸"],
            "sight": ["冲天的火光", "黑色的蘑菇云", "滚滚浓烟", "橘红色的火球", "半边天都是烟"],
            "damage": ["窗户玻璃全碎了", "整栋楼都在晃", "门都被震开了", "车窗被震裂了", "天花板掉灰"],
            "where_i_am": ["五公里外", "隔壁小区", "公司楼上", "高速上", "学校宿舍", "三公里外的家里"],
            "smell": ["刺鼻的味道", "一股焦糊味", "很冲的化学品味", "像烧塑料的味道"],
            "rescue": ["消防车一辆接一辆", "救护车一直在响", "直升机在上空盘旋", "路口已经封了"],
        },
        "onset": [
            "{district}那边{sound}，{where_i_am}都感觉到了", "{city}{district}刚刚{sound}，看到{sight}",
            "{where_i_am}都听到{sound}，{damage}", "是{enterprise_short}那边爆炸了吗？{sight}",
            "{district}化工园区好像出事了，{sight}，{rescue}", "被{sound}吓醒，{damage}",
            "刚刚{district}方向{sound}，{smell}", "{city}的朋友们注意安全，{district}{sound}",
            "地震了？不对，是{district}那边爆炸！{damage}", "{rescue}，{district}到底怎么了",
        ],
        "spread": [
            "{enterprise}发生爆炸，现场{sight}", "{district}附近居民正在疏散，{rescue}",
            "闻到{smell}，大家关好门窗戴好口罩", "{enterprise_short}离居民区才两公里，怎么能建在这里",
            "空气里有{smell}，有没有专业人士说说有没有毒", "朋友在{enterprise_short}上班，到现在电话打不通",
            "{district}的学校已经停课了", "{rescue}，希望没有人员伤亡", "爆炸现场视频太吓人了，{sight}",
            "{city}{district}的朋友报个平安", "周边道路都封了，{rescue}",
        ],
        "detail": [
            "据说已经造成{deaths}人死亡、{injured}人受伤", "目前已有{injured}人送医，其中{deaths}人经抢救无效死亡",
            "事故已致{deaths}死{injured}伤", "周边约{evacuated}名群众已紧急转移", "初步判断是储罐区发生爆燃",
            "医院在紧急征集O型血", "{hospital}接收了大批伤员",
        ],
        "question": [
            "{enterprise_short}之前是不是就被查出过安全隐患？", "化工园区离居民区这么近，谁批的？",
            "爆炸后空气和水有没有污染，能不能公布监测数据？", "为什么过了这么久还没有官方通报？",
            "伤亡人数到底是多少？", "安监部门平时都在检查什么？",
        ],
        "rumour": [
            "{claim}", "网传{claim}，是真的吗？", "内部消息：{claim}", "听在里面上班的亲戚说，{claim}",
            "群里都在说{claim}，大家快转告", "据说{claim}，赶紧囤水！", "{claim}，消息已经压下来了",
        ],
        "official": [
            "{date}{hour}，{district}{enterprise}发生爆炸事故。事故发生后，{city}市立即启动应急响应，消防救援、医疗等力量第一时间赶赴现场处置。目前已造成{deaths}人死亡、{injured}人受伤，伤者均已送医救治。周边群众已有序转移，事故原因正在调查中。",
            "{enterprise}爆炸事故现场明火已扑灭，经环境监测，周边空气质量各项指标未见异常，请广大市民不信谣、不传谣，以官方发布为准。",
            "关于{district}化工园区爆炸事故救援进展：搜救工作仍在进行，{evacuated}名群众已妥善安置，事故调查组已成立。",
        ],
        "debunk": [
            "【辟谣】网传“{claim}”系不实信息。经监测，周边空气、水质均正常，请勿轻信转发。",
            "近日网传“{claim}”，经核实，该消息为谣言。公安机关已依法对造谣者进行调查处理。",
            "关于网传“{claim}”的说明：经核查，该信息不实，请以官方发布为准。",
        ],
        "debunk_react": [
            "原来{claim}是谣言，差点就信了", "辟谣了，大家别再转了", "果然是假的，造谣的人该抓",
            "官方都辟谣了，空气没问题", "还好是谣言，虚惊一场",
        ],
        "react_official": [
            "通报出来了，{deaths}人遇难，太难过了", "终于有通报了，但事故原因呢？", "看了通报，希望伤者早日康复",
            "通报说空气质量正常，那我就放心了", "官方通报只说了伤亡，责任人呢？", "通报来得有点晚，但总算来了",
        ],
        "aftermath": [
            "{enterprise_short}爆炸已经过去{days}天了，调查结果呢？", "希望这次事故能让所有化工企业警醒",
            "安全生产不是一句口号", "遇难者家属太可怜了，一定要给个交代", "该停的化工厂要停，该搬的要搬",
            "听说{enterprise_short}负责人已经被控制了", "一场事故毁了多少家庭",
        ],
        "news_head": [
            "{city}{district}一化工企业发生爆炸 已致{deaths}死{injured}伤", "{enterprise}爆炸事故救援进行中",
            "{city}化工园区爆炸：周边{evacuated}名群众紧急转移", "直击{city}爆炸现场：浓烟仍未散去",
            "{city}爆炸事故调查组成立", "{enterprise}爆炸事故伤员救治情况通报",
            "化工园区为何紧邻居民区？{city}爆炸追问",
        ],
        "news_body": [
            "{date}{hour}，位于{city}{district}的{enterprise}发生爆炸，现场升起大量浓烟。",
            "记者在现场看到，多辆消防车和救护车陆续赶到，周边道路实施交通管制。",
            "据{official}消息，事故已造成{deaths}人死亡、{injured}人受伤。",
            "周边居民表示，爆炸声在数公里外都能听到，部分民房门窗受损。",
            "目前，事故原因正在进一步调查中，本报将持续关注。",
            "有专家指出，化工园区与居民区的安全距离问题值得关注。",
        ],
        "forum_title": [
            "{district}爆炸，有人知道具体情况吗", "【整理】{city}化工厂爆炸时间线", "在{district}上班的报个平安",
            "{enterprise_short}到底还有多少隐患？", "爆炸后空气到底有没有问题？求专业人士",
        ],
        "opinions": {
            "negative": ["安全生产形同虚设", "化工厂就不该建在居民区旁边", "又是血的教训"],
            "positive": ["致敬逆行的消防员", "{city}加油", "为{city}祈福"],
        },
    },
    "flood": {
        "hashtags": ["{city}暴雨", "{city}洪水", "{city}暴雨互助", "{district}被困人员求助", "{city}挺住"],
        "vocab": {
            "water": ["水已经淹到膝盖", "水齐腰深了", "一楼全淹了", "车子全泡在水里", "地下车库灌满了水"],
            "where": ["{district}", "{district}老城区", "{city}火车站附近", "{district}的村子", "地铁{line}号线站"],
            "line": ["1", "2", "3", "5"],
            "need": ["需要冲锋舟", "老人孩子被困在二楼", "断水断电一整天了", "手机快没电了", "急需食物和饮用水"],
            "rain": ["雨下了一整夜", "雨就没停过", "这雨跟倒下来一样", "一小时降雨量破纪录了"],
        },
        "onset": [
            "{rain}，{where}{water}", "{city}这雨太大了，{where}{water}", "{where}{water}，大家出门注意",
            "刚下班被困在{where}，{water}", "{city}发布暴雨红色预警了，{rain}", "{where}积水好深，{water}",
            "第一次见{city}下这么大的雨，{rain}",
        ],
        "spread": [
            "【求助】{where}有人被困，{need}，请转发", "{where}{water}，{need}", "{city}地铁停运了，大家别出门",
            "{district}已经停电了，{need}", "河水漫过堤坝了，{where}的人赶紧转移", "救援队来了！{where}正在转移群众",
            "求助信息汇总文档已经建好，有需要的填一下", "{where}的志愿者在发物资，{need}的可以去",
        ],
        "detail": [
            "已经转移群众{evacuated}人", "据说有{deaths}人遇难，还有人失联", "全市降雨量破了历史纪录",
            "{river}水位超过警戒线{meters}米", "多个乡镇通讯中断",
        ],
        "question": [
            "预警发得太晚了吧？", "泄洪为什么没有提前通知下游？", "排水系统这么多年都没改造吗？",
            "失联的人到底有多少？", "地铁为什么没有提前停运？",
        ],
        "rumour": [
            "{claim}", "网传{claim}，有人知道吗", "紧急扩散：{claim}", "听说{claim}，大家快跑",
            "群里说{claim}，是真的吗", "{claim}，官方一直没说",
        ],
        "official": [
            "{date}以来，{city}出现极端强降雨，{city}市已启动防汛Ⅰ级应急响应。截至目前，全市累计转移安置群众{evacuated}人，因灾死亡{deaths}人。请市民非必要不出行。",
            "{city}市防汛抗旱指挥部提醒：{river}水位仍在上涨，沿河低洼地区群众请服从安排，及时转移。",
            "目前救援力量已全部投入一线，受困群众正在陆续转移，请被困群众拨打求助电话并保持手机畅通。",
        ],
        "debunk": [
            "【辟谣】网传“{claim}”不实。目前{river}堤防总体安全，请勿相信和传播。",
            "关于网传“{claim}”，经核实系谣言，请以{official}发布的信息为准。",
            "网传“{claim}”的视频为往年旧视频，与本次降雨无关，请勿转发。",
        ],
        "debunk_react": [
            "原来是旧视频，别再传了", "辟谣了，堤坝没事，松了口气", "造谣的人良心不会痛吗", "还好是谣言",
        ],
        "react_official": [
            "看了通报，{deaths}人遇难，太难受了", "应急响应启动了，希望能快点救出被困的人", "感谢所有救援人员",
            "通报的数字和网上说的不一样啊", "终于有消息了，{city}挺住",
        ],
        "aftermath": [
            "水退了，家里一片狼藉", "灾后重建什么时候开始？", "希望{city}早日恢复", "这次暴雨暴露了很多问题",
            "保险理赔怎么办，有懂的吗", "志愿者们辛苦了，{city}会好起来的",
        ],
        "news_head": [
            "{city}遭遇极端强降雨 已转移群众{evacuated}人", "{city}启动防汛Ⅰ级应急响应",
            "直击{city}暴雨：救援队伍连夜转移被困群众", "{river}水位持续上涨 {city}全力防汛",
            "{city}暴雨已致{deaths}人遇难", "{city}灾后恢复：水电通讯逐步恢复",
        ],
        "news_body": [
            "受强降雨影响，{city}多地出现严重内涝，部分道路交通中断。",
            "{official}表示，已调集各方救援力量赶赴受灾地区。",
            "截至记者发稿时，{river}水位已超过警戒水位{meters}米。",
            "气象部门预计，未来24小时仍有强降雨，请市民做好防范。",
            "受灾群众已被安置到临时安置点，生活物资保障充足。",
        ],
        "forum_title": [
            "{district}现在什么情况？家里老人联系不上", "【汇总】{city}暴雨求助信息", "{city}的朋友报平安",
            "暴雨后车泡水了怎么理赔？", "为什么每年{city}都要看海？",
        ],
        "opinions": {
            "negative": ["每年都淹，排水系统就不能改改吗", "预警太晚了"],
            "positive": ["{city}挺住", "感谢子弟兵", "一方有难八方支援"],
        },
        "extra_vocab_keys": ["river", "meters"],
    },
    "food_safety": {
        "hashtags": ["{brand}后厨", "{brand}食品安全", "{brand}道歉", "{brand}门店被查", "食品安全无小事"],
        "vocab": {
            "problem": ["用过期原料", "后厨有老鼠", "隔夜食材重新上架", "篡改保质期标签", "地沟油", "冷冻肉反复解冻"],
            "symptom": ["吃完就拉肚子", "上吐下泻", "孩子吃了发烧", "全家腹泻", "吃完胃疼了一晚上"],
            "item": ["汉堡", "套餐", "鸡块", "沙拉", "奶茶", "烤肠", "盒饭"],
            "reaction": ["再也不去了", "以后只敢在家做饭", "退钱！", "这个品牌彻底凉了", "我吃了三年啊"],
        },
        "onset": [
            "曝光了！{brand}门店{problem}", "看到{brand}{problem}的视频，我吐了", "{brand}被拍到{problem}，{reaction}",
            "卧底记者拍到{brand}后厨{problem}", "上周在{brand}买的{item}，{symptom}，原来是这样",
            "{brand}{problem}，我经常去的就是这家",
        ],
        "spread": [
            "{brand}的{item}我昨天还吃过，{reaction}", "有没有人在{brand}吃过{item}后{symptom}的？",
            "{brand}官方怎么还不出来说话", "全国那么多门店，就这一家有问题？", "{brand}的股价今天跌了",
            "外卖平台上{brand}的差评炸了", "身边好几个人说在{brand}吃完{symptom}", "{reaction}，{brand}太让人失望",
        ],
        "detail": [
            "涉事门店已被市场监管部门查封", "已有{injured}人到医院就诊", "{brand}全国有{stores}家门店",
            "涉事批次产品已经下架", "监管部门抽检了{stores}家门店",
        ],
        "question": [
            "其他门店有没有同样的问题？", "市场监管平时都是怎么检查的？", "吃坏肚子的能不能索赔？",
            "{brand}的道歉有用吗？", "为什么总是媒体曝光了才查？",
        ],
        "rumour": [
            "{claim}", "网传{claim}", "听说{claim}，太恶心了", "内部员工爆料：{claim}", "据说{claim}，大家别吃了",
        ],
        "official": [
            "{date}，{official}关注到网络反映{brand}门店食品安全问题，已第一时间成立调查组，对涉事门店依法立案调查，责令停业整改。调查结果将及时向社会公布。",
            "{official}对全市{brand}门店开展专项检查，共检查{stores}家，发现问题{injured}项，已督促整改。",
        ],
        "debunk": [
            "【辟谣】网传“{claim}”不实，经检测涉事产品未发现违规添加，请勿传播。",
            "关于“{claim}”的说明：经调查，该说法没有依据，系网民编造。",
        ],
        "debunk_react": ["原来{claim}是假的", "谣言止于官方通报", "就算这个是谣言，过期原料总是真的吧"],
        "react_official": [
            "立案调查了，希望严肃处理", "停业整改就完了？", "市场监管这次动作挺快", "等一个调查结果",
        ],
        "aftermath": [
            "{brand}门店重新开业了，你还会去吗", "这件事过去了，{brand}的生意还是不好", "食品安全真的要常抓不懈",
            "{brand}处罚结果出来了，罚款{fine}万", "消费者的信任不是一天能挽回的",
        ],
        "news_head": [
            "{brand}门店被曝{problem} 监管部门介入调查", "{brand}致歉：涉事门店已停业整改",
            "{city}市场监管局对{brand}立案调查", "{brand}食品安全风波持续发酵 股价下跌",
            "记者暗访{brand}后厨：{problem}",
        ],
        "news_body": [
            "近日，有网友发布视频称{city}某{brand}门店{problem}，引发广泛关注。",
            "{official}表示，已第一时间派执法人员赶赴现场调查。",
            "{brand}发布声明称，对此深表歉意，涉事门店已停业整改。",
            "业内人士表示，连锁餐饮的食品安全管理存在薄弱环节。",
        ],
        "forum_title": [
            "{brand}这事大家怎么看", "在{brand}打过工，说说后厨真实情况", "吃了{brand}{symptom}，能索赔吗",
            "{brand}还能吃吗？",
        ],
        "opinions": {
            "negative": ["良心被狗吃了", "食品安全是底线"],
            "positive": ["监管部门这次处理得快", "期待整改结果"],
        },
    },
    "official_rumour": {
        "hashtags": ["{city}{title}被举报", "{person}", "{city}官方回应网传{title}", "网络不是法外之地"],
        "vocab": {
            "accusation": ["名下有十几套房", "收受巨额贿赂", "儿子出国留学花了几百万", "戴名表开豪车", "违规提拔亲属"],
            "proof": ["一张截图", "一段录音", "几张照片", "一份所谓的内部文件", "实名举报信"],
        },
        "onset": [
            "网上有人实名举报{city}{title}{person}{accusation}", "看到一份举报，说{person}{accusation}，附了{proof}",
            "{person}{accusation}？有{proof}为证", "{city}{title}被曝{accusation}，真的假的",
            "转：{person}{accusation}，请有关部门查一查",
        ],
        "spread": [
            "{person}的事越传越多了，{proof}都出来了", "纪委会不会介入？", "如果{person}真的{accusation}，必须严查",
            "这{proof}一看就是P的吧", "先别急，等调查结果", "{city}的朋友说这事早就有人传了",
            "为什么帖子一直被删？", "有没有人认识{person}的",
        ],
        "detail": [
            "举报信里列了{n_items}条问题", "据说相关帖子已经被转发了上万次", "所谓的录音听起来像合成的",
        ],
        "question": [
            "{city}纪委监委能不能出来回应一下？", "举报人现在安全吗？", "如果是假的，造谣的人要不要追责？",
            "{person}本人回应了吗？",
        ],
        "rumour": [
            "{claim}", "网传{claim}", "内部人士说{claim}", "据说{claim}，已经被带走了", "听说{claim}，消息很快会公布",
        ],
        "official": [
            "近日，网络流传关于我市{title}{person}的举报信息，市纪委监委高度重视，已成立核查组开展核查，核查结果将及时向社会公布。",
            "{official}情况说明：针对网传信息，我委已依规依纪依法进行核查。",
        ],
        "debunk": [
            "【通报】经核查，网传“{claim}”等内容与事实严重不符，相关图片系伪造。公安机关已对造谣者{rumourer}依法行政拘留。",
            "关于网传{person}相关信息的核查情况：经查，所反映问题均不属实。网络不是法外之地，请广大网民自觉抵制谣言。",
        ],
        "debunk_react": [
            "原来是造谣，抓得好", "P图造谣的人就该拘留", "反转了，又是谣言", "吃瓜吃了个寂寞",
            "辟谣的速度还行", "不过举报渠道还是要畅通",
        ],
        "react_official": ["纪委介入了，等结果", "成立核查组了，这次应该能查清楚", "希望公开透明"],
        "aftermath": ["这件事给大家提了个醒，不信谣不传谣", "造谣一张嘴，辟谣跑断腿", "反腐要支持，造谣要打击"],
        "news_head": [
            "{city}纪委监委回应网传{title}举报信息", "{city}：网传{person}相关举报经核查不属实",
            "造谣{city}官员 一男子被行政拘留", "网传举报信系伪造 {city}警方通报",
        ],
        "news_body": [
            "近日，一则关于{city}{title}{person}的举报信息在网络流传，引发关注。",
            "{official}表示，已第一时间成立核查组进行核查。",
            "经查，网传图片系使用软件合成，举报内容不属实。",
            "警方提醒，广大网民应自觉抵制网络谣言。",
        ],
        "forum_title": ["{person}的事有后续吗", "关于{city}那个举报信，说说我的看法", "这张截图是不是P的？"],
        "opinions": {
            "negative": ["老虎苍蝇一起打", "权力必须关进制度的笼子"],
            "positive": ["核查结果公开透明，支持", "还清白者清白"],
        },
    },
    "price_rise": {
        "hashtags": ["{city}{goods}涨价", "{goods}价格", "{city}调价听证会", "打工人太难了"],
        "vocab": {
            "feeling": ["钱包瘪了", "工资没涨东西先涨", "日子越来越难", "月光族更光了", "买不起了"],
            "shop": ["菜市场", "超市", "小区门口", "营业厅", "加油站"],
        },
        "onset": [
            "{city}{goods}要涨价了，{pct}%！", "刚收到通知，{goods}从下月起上调{pct}%", "{shop}的{goods}一下子贵了{pct}%，{feeling}",
            "{goods}又涨价了，{feeling}", "{city}发布{goods}调价方案，涨幅{pct}%",
        ],
        "spread": [
            "{goods}涨价，{feeling}", "算了一下，一个月要多花{money}块", "{shop}的阿姨说{goods}还会再涨",
            "为什么涨价总是这么快，降价这么慢？", "{goods}涨{pct}%，工资涨了吗", "年轻人的日子太难了",
            "有没有省钱攻略，{goods}太贵了",
        ],
        "detail": ["调价方案下月1日起执行", "这是{city}{years}年来第一次调整{goods}价格", "低保户有补贴"],
        "question": ["听证会代表都是谁选的？", "涨价的成本依据能公开吗？", "低收入家庭怎么办？"],
        "rumour": ["{claim}", "网传{claim}", "听说{claim}", "内部消息：{claim}"],
        "official": [
            "关于{goods}价格调整的说明：本次调整经过成本监审和听证程序，涨幅{pct}%。对低保对象、特困人员给予补贴，保障基本生活不受影响。",
            "{official}答记者问：{goods}调价是综合成本变化作出的，将加强市场价格监管，严厉打击哄抬物价行为。",
        ],
        "debunk": [
            "【辟谣】网传“{claim}”不实，本次仅调整{goods}价格，其他民生价格保持稳定。",
            "关于网传“{claim}”的说明：该信息系误读，请以官方发布为准。",
        ],
        "debunk_react": ["原来只是{goods}涨，还好", "谣言害人，还以为都要涨", "辟谣了，但{goods}涨价是真的"],
        "react_official": ["解释了半天还是要涨", "有补贴就好", "成本监审报告能公开吗", "说明挺详细的"],
        "aftermath": ["涨价后第一个月账单来了，{feeling}", "习惯了，没办法", "物价稳定才是民生"],
        "news_head": [
            "{city}{goods}价格拟上调{pct}%", "{city}召开{goods}价格调整听证会", "{goods}涨价引热议 {official}回应",
            "{city}：困难群众{goods}调价补贴政策出台",
        ],
        "news_body": [
            "{city}{official}发布通知，{goods}价格将上调{pct}%。",
            "不少市民表示，涨价对日常开支有一定影响。",
            "{official}相关负责人表示，调价充分考虑了群众承受能力。",
            "专家认为，价格调整要兼顾企业成本和居民负担。",
        ],
        "forum_title": ["{goods}涨价，大家每月多花多少？", "{city}{goods}调价听证会有人去吗", "省钱小妙招分享"],
        "opinions": {"negative": ["打工人太难了", "涨价容易降价难"], "positive": ["有补贴兜底还行", "理解，成本确实涨了"]},
    },
    "celebrity_controversy": {
        "hashtags": ["{star}回应", "{star}翻车", "{star}工作室声明", "{star}代言", "{star}塌房"],
        "vocab": {
            "issue": ["演唱会假唱", "新歌被指抄袭", "综艺耍大牌", "直播时言论不当", "被曝偷税", "和粉丝发生冲突"],
            "fans": ["粉丝", "黑粉", "路人", "老粉", "唯粉"],
            "brand_reaction": ["已经删了宣传海报", "官宣终止合作", "暂停了代言", "撤下了广告"],
        },
        "onset": [
            "{star}{issue}？视频都出来了", "{star}这次真的翻车了，{issue}", "看了{star}{issue}的视频，路人转黑",
            "{star}{issue}，{fans}已经吵起来了", "热搜第一：{star}{issue}", "笑死，{star}{issue}被当场抓包",
        ],
        "spread": [
            "{star}的{fans}在控评，太夸张了", "{brand_star}{brand_reaction}", "{star}工作室怎么还不发声明",
            "说实话{star}以前挺喜欢的，{issue}太让人失望", "{fans}别洗了，证据确凿", "这瓜太大了，{star}要凉",
            "{star}的作品还能看吗", "粉丝打投了这么多年，{issue}",
        ],
        "detail": ["{brand_star}等{n_items}个品牌{brand_reaction}", "相关话题阅读量已经破亿", "{star}的新剧宣传暂停了"],
        "question": ["工作室的声明能说明问题吗？", "平台会不会封禁？", "公众人物是不是该有更高的道德标准？"],
        "rumour": ["{claim}", "网传{claim}", "圈内人爆料：{claim}", "据说{claim}"],
        "official": [
            "{star}工作室声明：关于近日网络上的相关内容，我们高度重视，已委托律师进行核实。对于恶意造谣、诽谤的行为，将依法追究法律责任。",
            "{official}：演艺人员应当自觉遵守法律法规和职业道德，我们将依规处理。",
        ],
        "debunk": [
            "【声明】网传“{claim}”纯属捏造，已报警处理。",
            "关于网传“{claim}”：经核实为不实信息，请勿传播。",
        ],
        "debunk_react": ["这个是谣言，但{issue}是真的", "又反转了？", "营销号别造谣了"],
        "react_official": ["声明写得像没写", "律师函警告？", "工作室这波公关不行", "就这？"],
        "aftermath": ["{star}的事过去一周了，热度下去了", "娱乐圈就是这样，过几天就忘了", "希望能好好反思"],
        "news_head": [
            "{star}被指{issue} 工作室发声明回应", "{star}风波持续发酵 多个品牌终止合作",
            "{official}回应{star}事件", "从{star}事件看明星的社会责任",
        ],
        "news_body": [
            "近日，艺人{star}被网友指出{issue}，相关话题迅速登上热搜。",
            "{star}工作室随后发布声明，称将依法维权。",
            "多个合作品牌已{brand_reaction}。",
            "业内人士认为，艺人应当珍惜羽毛，平台也应加强监管。",
        ],
        "forum_title": ["{star}这次还能洗白吗", "理性讨论{star}事件", "{star}的瓜，一起来吃"],
        "opinions": {"negative": ["劣迹艺人不配", "德不配位"], "positive": ["等一个真相", "别网暴，理性看待"]},
    },
    "official_misconduct": {
        "hashtags": ["{city}{office}", "{office}{act}", "{city}官方回应{office}事件", "{city}通报", "公权力不能任性"],
        "vocab": {
            "proof": ["一段视频", "现场视频", "一段录音", "好几段视频", "聊天截图", "当事人的自述"],
            "feeling": ["气得发抖", "看得我拳头都硬了", "太寒心了", "心里堵得慌", "愤怒到说不出话", "越看越憋屈"],
            "demand": ["停职调查", "公开处理结果", "给个说法", "严肃追责", "向当事人道歉", "依法严惩"],
        },
        "onset": [
            "视频曝光：{city}{office}{person}{act}", "{city}{office}被曝{act}，{proof}都传出来了",
            "刚刷到{proof}，{person}{act}，{feeling}", "{person}{act}？这就是所谓的公仆吗",
            "{city}的朋友发来{proof}，{office}{person}{act}", "看完{proof}我{feeling}，{person}{act}",
            "转：{office}{person}{act}，请扩散，请上级部门管一管",
        ],
        "spread": [
            "{victim}太可怜了，{feeling}", "强烈要求{demand}", "{proof}越传越多，{office}怎么还不回应",
            "这不是第一次了，{office}之前就被投诉过", "权力不是用来欺负老百姓的", "帖子又被删了，越删越说明有问题",
            "{city}本地人说这种事早就不是一两回了", "如果没有视频，{victim}找谁说理去", "{office}的回应呢？装死吗",
        ],
        "detail": [
            "涉事视频播放量已经破千万", "{proof}显示当时有好几名工作人员在场", "据说已有{n_items}名相关人员被停职",
            "事情发生在{date}", "{victim}的家属说至今没有人上门道歉",
        ],
        "question": [
            "{office}的负责人为什么不出来说话？", "涉事人员到底受到什么处理？", "通报为什么和视频对不上？",
            "如果没有曝光，是不是就不了了之了？", "上级部门能不能介入调查？",
        ],
        "rumour": [
            "{claim}", "网传{claim}", "听当地人说{claim}", "内部消息：{claim}", "据说{claim}，帖子都被删了",
        ],
        "official": [
            "{date}，网传{office}工作人员{act}的视频引发关注。{official}高度重视，已成立调查组开展调查，涉事人员已停职接受调查，调查结果将及时向社会公布。",
            "关于网民反映{office}相关问题的情况通报：经初步调查，网民反映情况基本属实，{n_items}名相关责任人已被停职，将依规依纪依法严肃处理。",
            "{official}：对{victim}深表歉意。我们将举一反三、坚决整改，诚恳接受社会监督。",
        ],
        "debunk": [
            "【辟谣】网传“{claim}”不实，请以官方通报为准，勿信谣、勿传谣。",
            "关于网传“{claim}”的说明：经核实，该信息系编造，公安机关已依法处理。",
        ],
        "debunk_react": [
            "这个是谣言，但视频里的事是真的", "辟谣挺快，处理结果呢？", "谣言归谣言，追责不能少", "好吧是假的，那就等调查结果",
        ],
        "react_official": [
            "停职就完了？要依法处理", "通报避重就轻，太让人失望", "终于回应了，等最终结果", "调查组来了，希望别又不了了之",
            "基本属实四个字，看得心寒",
        ],
        "aftermath": [
            "{office}的事过去{days}天了，处理结果呢？", "问责结果出来了，{n_items}人被处分", "希望这次能真正整改",
            "公权力必须接受监督", "这件事伤的是政府的公信力",
        ],
        "news_head": [
            "{city}{office}工作人员被指{act} 官方：已停职调查", "{city}回应网传{office}工作人员{act}",
            "{city}通报{office}事件：{n_items}名责任人被处理", "评论：{office}工作人员{act}，伤的是公信力",
        ],
        "news_body": [
            "近日，一段{office}工作人员{act}的视频在网络流传，引发网民关注。",
            "{official}发布通报称，已成立调查组，涉事人员已停职。",
            "多名网民表示，希望调查结果公开透明。",
            "有评论指出，基层执法必须依法规范，尊重群众合法权益。",
        ],
        "forum_title": [
            "{office}这事大家怎么看", "【整理】{office}事件时间线", "{city}本地人说说{office}平时的作风", "通报出来了，说说我的看法",
        ],
        "opinions": {
            "negative": ["公权力不能任性", "伤透了老百姓的心", "官僚作风害死人"],
            "positive": ["处理得还算及时", "依法追责，支持"],
        },
    },
    "product_contamination": {
        "hashtags": ["{brand}{product}", "{brand}{product}检出{substance}", "{brand}毒奶粉", "{brand}召回", "救救孩子"],
        "vocab": {
            "symptom": ["肾结石", "小便困难", "一直哭闹不止", "尿里带血", "住进了儿科病房"],
            "who": ["我家宝宝", "邻居家的孩子", "同事的小孩", "我侄女", "妈妈群里好几个宝宝", "表姐家的二胎"],
            "reaction": ["再也不敢买了", "当妈的心都碎了", "家里囤的全扔了，恨死了", "这是要孩子的命啊", "气得手都在抖",
                         "黑心企业，天理难容"],
        },
        "onset": [
            "{who}喝了{brand}{product}，查出{symptom}", "医生说{who}是{symptom}，问了一圈都喝的是{brand}{product}",
            "{brand}{product}被检出{substance}？{reaction}", "儿科病房里好多婴儿都是{symptom}，都喝{brand}",
            "紧急扩散！{brand}{product}检出{substance}，家里有宝宝的快看", "{who}{symptom}，罐子一看是{brand}的，{reaction}",
            "又是毒奶粉！{who}喝了{brand}{product}，查出{symptom}，{reaction}",
        ],
        "spread": [
            "全国多地都有婴儿{symptom}，都指向{brand}{product}", "{brand}{product}卖遍全国，这得多少孩子受害",
            "超市里{brand}{product}已经下架了", "{who}也喝过{brand}，明天就去医院查", "{brand}的声明一句都不敢信",
            "医院排队给孩子做B超的家长排到了门外", "{reaction}，{brand}必须给个交代", "一罐{product}毁了多少家庭",
            "毒奶粉害了多少孩子，{brand}必须严惩", "黑心企业拿孩子的命赚钱，{reaction}",
        ],
        "detail": [
            "已有{injured}名婴幼儿因{symptom}就诊", "目前已确认{deaths}名婴儿死亡", "问题产品销往{provinces}个省份",
            "问题批次{product}已在全国下架召回", "涉事企业的检测报告被指造假",
        ],
        "question": [
            "这么大的企业，质检都是摆设吗？", "监管部门之前的抽检都查了什么？", "为什么孩子出事这么久了才公布？",
            "受害家庭的医疗费谁来负担？", "其他品牌的{product}安全吗？",
        ],
        "rumour": [
            "{claim}", "网传{claim}", "听在医院工作的朋友说，{claim}", "妈妈群里都在传{claim}", "据说{claim}，大家赶紧转告",
        ],
        "official": [
            "{official}通报：经检测，{brand}部分批次{product}中检出{substance}。问题产品已在全国范围下架召回，已有{injured}名婴幼儿接受诊疗，其中{deaths}名死亡。国务院已启动国家重大食品安全事故Ⅰ级响应。",
            "{official}：各地卫生健康部门对食用问题{product}的婴幼儿免费筛查和救治，家长可就近到医院检查。",
            "关于{brand}{product}事件处置进展：调查组已进驻涉事企业，企业相关负责人已被依法控制。",
        ],
        "debunk": [
            "【辟谣】网传“{claim}”不实，目前在售其他品牌{product}抽检均未检出{substance}，请勿恐慌。",
            "关于网传“{claim}”的说明：经核实，该信息不实，请以官方发布为准。",
        ],
        "debunk_react": ["原来{claim}是谣言，稍微放心一点", "辟谣了，但{brand}的事是真的", "谣言少传点，家长已经够焦虑了"],
        "react_official": [
            "死了{deaths}个孩子，必须严惩", "通报来得太晚了", "免费筛查总算有了", "企业负责人被控制了，还不够",
            "监管部门也要追责",
        ],
        "aftermath": [
            "{brand}事件过去{days}天了，赔偿方案呢？", "孩子还在住院，每天都在煎熬", "这件事让多少人对国产{product}失去了信心",
            "食品安全是底线，底线都守不住", "希望这次能把整个行业整顿一遍",
        ],
        "news_head": [
            "{brand}部分批次{product}检出{substance} 全国召回", "{product}事件已致{deaths}名婴儿死亡",
            "国务院启动国家重大食品安全事故Ⅰ级响应", "各地开展{product}患儿免费筛查", "{brand}{product}事件调查：检测报告被指造假",
        ],
        "news_body": [
            "近日，多地医院接诊因食用{brand}{product}患{symptom}的婴幼儿，引发社会广泛关注。",
            "{official}表示，问题产品已在全国范围内下架召回。",
            "据通报，已有{injured}名婴幼儿接受诊疗，其中{deaths}名死亡。",
            "专家指出，{substance}长期摄入会损害婴幼儿的肾脏。",
            "不少家长表示，对{product}安全的信任受到严重冲击。",
        ],
        "forum_title": [
            "宝宝喝了{brand}，要去医院查吗", "【汇总】{brand}{product}问题批次和筛查医院", "{brand}这件事谁来负责",
            "换什么牌子的{product}安全？",
        ],
        "opinions": {
            "negative": ["拿孩子的命赚钱，天理难容", "食品安全监管形同虚设"],
            "positive": ["希望宝宝们都平安", "医生护士辛苦了"],
        },
    },
    "values_controversy": {
        "hashtags": ["{subject}", "{subject}{offence}", "{subject}事件", "{official}回应", "不容亵渎"],
        "vocab": {
            "reaction": ["看得我血压飙升", "真的恶心", "这是在挑战底线", "作为家长非常愤怒", "心里很不是滋味", "忍不了"],
            "scope": ["全国都在讨论", "传播量已经过亿", "各大平台都上了热搜", "家长群都炸了"],
        },
        "onset": [
            "{subject}{offence}，{reaction}", "刚看到{subject}的截图，{offence}，{reaction}", "有人发现{subject}{offence}？",
            "{subject}{offence}，这能忍？", "扒一扒{subject}：{offence}", "{subject}{offence}，{hurt}不容侮辱",
        ],
        "spread": [
            "{scope}，影响太恶劣了", "{subject}背后是谁审核通过的？", "{hurt}不容侮辱", "这不是审美问题，是价值观问题",
            "翻了翻别的，问题更多", "{reaction}", "要求彻查相关责任人", "这种东西怎么能流传出来",
        ],
        "detail": [
            "目前网友已经指出了{n_items}处问题", "相关话题阅读量已经超过{reads}亿", "{subject}已被多个平台下架",
            "涉事内容已经流传了好几年",
        ],
        "question": [
            "审核的人都干什么去了？", "这么久为什么没人发现？", "责任人会不会被追究？", "整改会不会只是换个图就完事？",
        ],
        "rumour": ["{claim}", "网传{claim}", "据说{claim}", "圈内人爆料：{claim}"],
        "official": [
            "{official}：高度重视网民反映的{subject}相关问题，已成立工作组全面排查整改，对相关责任人严肃问责，调查处理结果将向社会公布。",
            "关于{subject}问题的调查处理情况通报：经查，存在审核把关不严等问题，{n_items}名相关责任人被免职或处分。",
            "{official}：歪曲历史、伤害民族感情的行为，将依法依规严肃处理。",
        ],
        "debunk": [
            "【辟谣】网传“{claim}”不实，请以官方发布为准。",
            "关于网传“{claim}”的说明：经核实，该信息系编造。",
        ],
        "debunk_react": ["这个是谣言，但{subject}的问题是真的", "别造谣，事情本身已经够严重了", "辟谣了，等处理结果"],
        "react_official": ["处理了就好，但审核机制要改", "免职不够，要彻查", "终于表态了", "说得好，要一查到底"],
        "aftermath": [
            "{subject}的事过去{days}天了，整改得怎样了", "希望以后审核能严一点", "这件事值得所有人反思",
            "{hurt}不是流量的工具",
        ],
        "news_head": [
            "{subject}被指{offence} 引发网民强烈不满", "{official}回应{subject}问题：成立工作组排查整改",
            "{subject}事件调查结果公布 {n_items}人被问责", "评论：{hurt}不容亵渎",
        ],
        "news_body": [
            "近日，有网民发帖指出{subject}{offence}，引发广泛关注。",
            "{official}表示，已成立工作组开展调查，并对相关内容全面排查。",
            "多位专家表示，涉及历史、英烈和儿童的内容必须守住价值底线。",
            "不少网民认为，应追究相关审核人员的责任。",
        ],
        "forum_title": ["{subject}这事大家怎么看", "【整理】{subject}事件始末", "理性讨论：{subject}的问题出在哪"],
        "opinions": {
            "negative": ["价值观出了大问题", "这是对{hurt}的侮辱"],
            "positive": ["处理得及时，支持", "守住底线，点赞"],
        },
    },
    "community_dispute": {
        "hashtags": ["{estate}{problem}", "{city}{estate}", "{property}", "{city}12345"],
        "vocab": {
            "pain": ["洗澡都没法洗", "孩子上学前没法洗漱", "只能去楼下提桶装水", "老人腿脚不便爬楼提水", "马桶都冲不了"],
            "complaint": ["打物业电话没人接", "物业说在修就没下文了", "12345打了好几次", "物业费一分没少交", "物业经理关机了"],
        },
        "onset": [
            "{estate}{problem}了，{pain}", "有没有{estate}的业主，{problem}，{complaint}", "{estate}又{problem}，{complaint}",
            "住在{estate}太难了，{problem}，{pain}", "{problem}第一天，{complaint}",
        ],
        "spread": [
            "{estate}{problem}，{pain}", "{complaint}，{property}到底管不管", "业主群里都吵翻了", "{pain}，真的受够了",
            "换物业吧，这个{property}不行", "楼下排队打水的人好多",
        ],
        "detail": ["整个小区{households}户受影响", "据说是地下管道破裂了", "街道说已经在协调抢修"],
        "question": ["什么时候能恢复？", "{property}能不能给个准确时间？", "停水期间的损失谁来赔？"],
        "rumour": ["{claim}", "业主群里说{claim}", "听说{claim}"],
        "official": [
            "{official}：关于{estate}{problem}的问题，经协调，{property}已组织抢修，预计今晚恢复，期间安排送水车保障居民用水，给大家带来不便深表歉意。",
            "{official}回复：已督促{property}尽快完成管道维修，并对其服务问题进行约谈。",
        ],
        "debunk": ["关于网传“{claim}”的说明：该信息不实，抢修正在进行。"],
        "debunk_react": ["原来是谣传，那就等修好吧", "辟谣了，别在群里乱说了"],
        "react_official": ["总算有人管了", "送水车来了，谢谢街道", "约谈有什么用，下次还这样", "希望今晚真能修好"],
        "aftermath": ["{estate}终于来水了", "这次{problem}，{property}要给业主一个说法", "物业费能不能减免？"],
        "news_head": ["{city}{estate}{problem} 街道：正在抢修", "{estate}业主反映{problem} {property}回应"],
        "news_body": [
            "近日，{city}{estate}多名业主反映小区{problem}，生活受到影响。",
            "{official}表示，已督促物业公司抢修，并安排送水车。",
            "业主希望物业公司今后加强设施维护。",
        ],
        "forum_title": ["{estate}{problem}，有人知道什么时候修好吗", "吐槽一下{property}", "{estate}业主维权群"],
        "opinions": {"negative": ["物业就会收钱", "服务太差了"], "positive": ["街道出面就是快", "送水的师傅辛苦了"]},
    },
    "severe_weather": {
        "hashtags": ["{city}{weather}", "{city}天气", "{city}{weather}预警", "{city}交通", "注意出行安全"],
        "vocab": {
            "scene": ["路上全是积雪", "车子都被埋了", "小区的树被压断了", "路面结冰滑得站不住", "外面白茫茫一片"],
            "disruption": ["高速封闭了", "航班全取消了", "地铁限流", "学校停课了", "公交停运了", "高铁晚点了"],
            "plan": ["今天只能居家办公", "回家的路走了三个小时", "在机场等了一夜", "打车排到了两百多号"],
        },
        "onset": [
            "{city}{weather}来了，{scene}", "一觉醒来{city}{scene}，{disruption}", "{weather}太猛了，{disruption}",
            "{city}发布{weather}橙色预警，{disruption}", "{scene}，{plan}",
        ],
        "spread": [
            "{disruption}，{plan}", "{city}{weather}，{scene}", "环卫工人凌晨就在铲雪了", "出门的朋友注意安全，{scene}",
            "{disruption}，什么时候能恢复？", "{plan}，这天气太折腾了",
        ],
        "detail": ["最大积雪深度{cm}厘米", "全市{n_roads}条高速临时封闭", "目前暂无人员伤亡报告", "气温将降到零下{cold}度"],
        "question": ["除雪为什么这么慢？", "停课通知能不能早点发？", "航班取消了怎么改签？"],
        "rumour": ["{claim}", "网传{claim}", "听说{claim}"],
        "official": [
            "{official}发布{weather}橙色预警：预计未来24小时仍有强降雪，请市民减少出行，注意防寒防滑。",
            "{official}：全市已出动除雪车辆和人员全力清雪，主干道已基本恢复通行，暂无人员伤亡报告。",
        ],
        "debunk": ["【辟谣】网传“{claim}”不实，请以官方发布的预警信息为准。"],
        "debunk_react": ["原来是假的，别乱传", "辟谣了，还是看官方预警"],
        "react_official": ["预警来得及时", "清雪的师傅辛苦了", "主干道通了，小路还是不好走", "感谢提醒"],
        "aftermath": ["雪停了，路终于通了", "这场{weather}总算过去了", "除雪应急预案还得再完善"],
        "news_head": ["{city}遭遇{weather} 多条高速临时封闭", "{city}全力除雪保畅通", "{weather}致{city}航班大面积取消"],
        "news_body": [
            "受强冷空气影响，{city}出现{weather}天气，部分道路交通受阻。",
            "{official}已启动应急响应，组织力量清雪除冰。",
            "气象部门提醒，市民出行注意防寒防滑。",
        ],
        "forum_title": ["{city}{weather}，大家那边怎么样", "【汇总】{city}{weather}交通信息", "{weather}天怎么上班"],
        "opinions": {"negative": ["每次下雪都瘫痪", "除雪太慢了"], "positive": ["环卫工人辛苦了", "注意安全，平安最重要"]},
    },
}

# --------------------------------------------------------------------------------------
# Background chatter: unrelated topics, each with templates and vocabulary.
# --------------------------------------------------------------------------------------
BACKGROUND: dict[str, dict[str, Any]] = {
    "food": {
        "hashtags": ["今天吃什么", "美食探店", "{city}美食"],
        "vocab": {"dish": ["螺蛳粉", "火锅", "小龙虾", "烧烤", "煎饼果子", "肠粉", "麻辣烫", "酸菜鱼", "生煎"],
                  "verdict": ["绝了", "一般般", "排队一小时值了", "踩雷了", "回购无数次"]},
        "lines": ["今天吃了{dish}，{verdict}", "{city}这家{dish}{verdict}", "深夜放毒：{dish}", "减肥失败，又吃了{dish}",
                  "有没有好吃的{dish}推荐", "自己在家做{dish}，{verdict}", "{dish}配冰可乐，快乐", "打卡网红{dish}店，{verdict}"],
    },
    "weather": {
        "hashtags": ["天气", "{city}天气"],
        "vocab": {"w": ["太热了", "降温了", "又下雨", "晴天真好", "风好大", "闷得慌", "出太阳了"],
                  "act": ["不想上班", "适合睡觉", "晒被子", "出去走走", "在家躺平"]},
        "lines": ["今天{w}，{act}", "{city}{w}", "{w}，{act}吧", "天气预报说明天{w}", "这天气{w}，只想{act}",
                  "早上出门{w}，带伞了吗"],
    },
    "drama": {
        "hashtags": ["追剧日常", "{show}", "{show}大结局"],
        "vocab": {"show": ["《长风渡》", "《繁花》", "《漫长的季节》", "《狂飙》", "《去有风的地方》", "《玫瑰的故事》"],
                  "take": ["太好哭了", "编剧在干嘛", "男主好帅", "结局意难平", "一口气看完", "演技炸裂"]},
        "lines": ["{show}{take}", "熬夜追完{show}，{take}", "有人在看{show}吗，{take}", "{show}第二季什么时候出",
                  "二刷{show}，{take}", "推荐{show}，{take}"],
    },
    "exam": {
        "hashtags": ["考研", "期末周", "打工人"],
        "vocab": {"exam": ["考研", "期末考", "四六级", "考公", "教资", "雅思"], "state": ["背不完了", "好焦虑", "冲冲冲", "上岸了", "裂开"]},
        "lines": ["{exam}倒计时，{state}", "图书馆占座失败，{exam}{state}", "{exam}成绩出了，{state}", "{exam}人，{state}",
                  "和室友一起备战{exam}，{state}", "明天{exam}，今晚{state}"],
    },
    "sports": {
        "hashtags": ["CBA", "中超", "{team}"],
        "vocab": {"team": ["广东队", "辽宁队", "北京国安", "上海申花", "山东泰山", "浙江队"],
                  "res": ["赢了", "输了", "绝杀", "逆转", "打平了", "太菜了"]},
        "lines": ["{team}今晚{res}", "看{team}比赛看得我血压高，{res}", "{team}{res}，明天再战", "{team}这个外援不行",
                  "现场看{team}，{res}！", "{team}加油"],
    },
    "tech": {
        "hashtags": ["数码", "新机发布", "{phone}"],
        "vocab": {"phone": ["新款折叠屏", "Mate新机", "小米新品", "iPhone", "平板"],
                  "v": ["续航好", "太贵了", "拍照强", "发热严重", "值得入手", "观望一下"]},
        "lines": ["{phone}{v}", "刚入手{phone}，{v}", "{phone}发布会看了吗，{v}", "纠结要不要换{phone}", "{phone}评测：{v}",
                  "用了一周{phone}，{v}"],
    },
    "pets": {
        "hashtags": ["萌宠", "吸猫", "狗狗"],
        "vocab": {"pet": ["我家猫", "狗子", "橘猫", "柯基", "布偶", "小仓鼠"], "act": ["又拆家了", "睡成一团", "偷吃东西", "会握手了", "在晒太阳"]},
        "lines": ["{pet}{act}", "{pet}{act}，可爱死了", "今日份{pet}：{act}", "回家看到{pet}{act}，气笑了", "{pet}{act}[心]"],
    },
    "commute": {
        "hashtags": ["打工人", "早高峰", "{city}地铁"],
        "vocab": {"p": ["地铁", "公交", "高架", "电梯"], "s": ["挤成照片", "又堵了", "迟到了", "等了半小时", "空调太冷"]},
        "lines": ["早高峰{p}{s}", "{city}的{p}{s}", "周一{p}{s}，打工人太难", "今天{p}{s}，全勤奖没了", "下班{p}{s}"],
    },
    "travel": {
        "hashtags": ["旅行", "周末去哪儿", "{spot}"],
        "vocab": {"spot": ["大理", "西湖", "长白山", "洱海", "青海湖", "厦门鼓浪屿"], "v": ["人山人海", "美哭了", "值得去", "被坑了", "拍照超出片"]},
        "lines": ["周末去了{spot}，{v}", "{spot}{v}", "五一去{spot}，{v}", "有去过{spot}的吗", "{spot}攻略求推荐", "在{spot}，{v}"],
    },
    "fitness": {
        "hashtags": ["健身打卡", "减肥"],
        "vocab": {"x": ["跑步五公里", "练腿", "跳操", "游泳", "撸铁"], "r": ["累瘫了", "瘦了两斤", "坚持第30天", "又偷懒了"]},
        "lines": ["今天{x}，{r}", "{x}打卡，{r}", "健身房{x}，{r}", "下班{x}，{r}", "{r}，明天继续{x}"],
    },
}
BACKGROUND_TITLE = {
    "food": "美食", "weather": "天气", "drama": "追剧", "exam": "考试", "sports": "体育", "tech": "数码",
    "pets": "萌宠", "commute": "通勤", "travel": "旅行", "fitness": "健身",
}


# --------------------------------------------------------------------------------------
# Composition
# --------------------------------------------------------------------------------------
def pick(rng: np.random.Generator, items: list[str]) -> str:
    return items[int(rng.integers(len(items)))]


def fill(template: str, ctx: dict[str, Any], rng: np.random.Generator, depth: int = 0) -> str:
    """Fill ``{slot}`` placeholders; list values draw one item, nested slots are filled too."""

    def sub(match: re.Match) -> str:
        value = ctx.get(match.group(1))
        if value is None:
            return match.group(0)
        if isinstance(value, list | tuple):
            value = pick(rng, list(value))
        value = str(value)
        if depth < 3 and "{" in value:
            value = fill(value, ctx, rng, depth + 1)
        return value

    return _SLOT.sub(sub, template)


def _end(sentence: str, rng: np.random.Generator) -> str:
    if sentence and sentence[-1] in "。！？!?…~）)":
        return sentence
    return sentence + pick(rng, ["，", "。", "！", "！！", "…", "？", "。", "，", " ", "~"])


def _decorate(text: str, sentiment: str, rng: np.random.Generator, *, emoji: float = 0.55) -> str:
    if rng.random() < emoji:
        n = int(rng.integers(1, 4))
        pool = EMOTICONS[sentiment] if rng.random() < 0.7 else EMOJI[sentiment]
        text += "".join(pick(rng, pool) for _ in range(n))
    return text


class TextMaker:
    """Writes posts for one incident type in a given context (place, actors, facts)."""

    def __init__(self, incident_type: str, ctx: dict[str, Any], rng: np.random.Generator):
        self.vocab = INCIDENTS[incident_type]
        self.ctx = {**self.vocab.get("vocab", {}), **ctx}
        self.rng = rng

    # ---- helpers
    def f(self, template: str) -> str:
        return fill(template, self.ctx, self.rng)

    def hashtag(self) -> str:
        return "#" + self.f(pick(self.rng, self.vocab["hashtags"])) + "#"

    def opinion(self, sentiment: str) -> str:
        own = self.vocab.get("opinions", {}).get(sentiment, [])
        pool = OPINIONS[sentiment] + own * 3
        return self.f(pick(self.rng, pool))

    # ---- posts
    def weibo(self, phase: str, sentiment: str, mention: str | None = None) -> str:
        rng = self.rng
        core = self.f(pick(rng, self.vocab[phase]))
        parts: list[str] = []
        tag_front = rng.random() < 0.4
        if tag_front:
            parts.append(self.hashtag())
        if rng.random() < 0.35 and phase in {"onset", "spread", "rumour", "detail"}:
            parts.append(pick(rng, OPENERS))
        parts.append(_end(core, rng))
        if rng.random() < 0.35:
            extra_phase = pick(rng, ["detail", "question", "spread"]) if phase != "rumour" else "rumour"
            parts.append(_end(self.f(pick(rng, self.vocab[extra_phase])), rng))
        if rng.random() < 0.7:
            parts.append(_end(self.opinion(sentiment), rng))
        if rng.random() < 0.3:
            parts.append(_end(pick(rng, SLANG), rng))
        text = "".join(parts).rstrip("，, ")
        text = _decorate(text, sentiment, rng)
        if not tag_front and rng.random() < 0.35:
            text += " " + self.hashtag()
        if mention and rng.random() < 0.5:
            text += f" @{mention}"
        return text

    def official(self, phase: str, author: str, when_text: str) -> str:
        rng = self.rng
        head = pick(rng, ["【情况通报】", "【通报】", "【权威发布】", "【情况说明】", "", "【最新】"])
        body = self.f(pick(rng, self.vocab[phase]))
        tail = pick(rng, [f"{author} {when_text}", f"（{author}）", "", f"——{author}"])
        text = f"{head}{body}{tail}"
        if rng.random() < 0.5:
            text = self.hashtag() + text
        return text

    def news(self, phase: str) -> str:
        """A news item: headline + 2-3 sentences of body, newspaper register, no slang."""
        rng = self.rng
        head = self.f(pick(rng, self.vocab["news_head"]))
        body_pool = list(self.vocab["news_body"])
        n = int(rng.integers(2, 4))
        idx = rng.choice(len(body_pool), size=min(n, len(body_pool)), replace=False)
        body = "".join(self.f(body_pool[int(i)]) for i in sorted(idx))
        if phase in {"debunk"}:
            body = self.f(pick(rng, self.vocab["debunk"])) + body
        elif phase == "rumour":
            body += self.f("另据网络流传消息称，“{claim}”，目前尚未得到官方证实。")
        suffix = self.f(pick(rng, NEWS_OUTLETS_SUFFIX))
        return f"【{head}】{body}{suffix}"

    def media_weibo(self, phase: str) -> str:
        rng = self.rng
        head = self.f(pick(rng, self.vocab["news_head"]))
        body = self.f(pick(rng, self.vocab["news_body"]))
        tag = self.hashtag()
        style = int(rng.integers(3))
        if style == 0:
            return f"{tag}【{head}】{body}"
        if style == 1:
            return f"【{head}】{body}{tag}"
        return f"{tag}{head}。{body}（{pick(rng, ['记者', '通讯员', '综合'])}{pick(rng, REPORTERS)}）"

    def forum_thread(self, phase: str, sentiment: str) -> str:
        rng = self.rng
        title = self.f(pick(rng, self.vocab["forum_title"]))
        lines = [pick(rng, FORUM_OPENERS)]
        for p in (phase, pick(rng, ["detail", "question", "spread"])):
            lines.append(_end(self.f(pick(rng, self.vocab[p])), rng))
        lines.append(_end(self.opinion(sentiment), rng))
        if rng.random() < 0.4:
            lines.append(pick(rng, ["大家怎么看？", "欢迎补充。", "有新消息我再更新。", "先写这么多。"]))
        return f"【{title}】" + "".join(lines)

    def forum_reply(self, floor: int, sentiment: str) -> str:
        rng = self.rng
        r = rng.random()
        if r < 0.35:
            text = pick(rng, FORUM_REPLIES)
        elif r < 0.7:
            text = self.opinion(sentiment)
        else:
            text = self.f(pick(rng, self.vocab[pick(rng, ["question", "spread", "detail"])]))
        if rng.random() < 0.3 and floor > 1:
            text = f"回复{int(rng.integers(1, floor))}楼：" + text
        return _decorate(text, sentiment, rng, emoji=0.2)

    def repost_comment(self, sentiment: str, phase: str) -> str:
        """A repost's own words: short, often empty-ish; occasionally a full sentence."""
        rng = self.rng
        r = rng.random()
        if r < 0.15:
            return ""
        if r < 0.65:
            text = pick(rng, REPOST_COMMENTS[sentiment])
        elif r < 0.85:
            text = self.opinion(sentiment)
        else:
            key = "debunk_react" if phase == "debunk" else ("react_official" if phase == "official" else "spread")
            text = self.f(pick(rng, self.vocab[key]))
        if rng.random() < 0.2:
            text += pick(rng, SLANG)
        return _decorate(text, sentiment, rng, emoji=0.45)


def repost_text(own: str, chain: list[tuple[str, str]]) -> str:
    """Weibo repost text: the reposter's words, then ``//@name:words`` for each repost above."""
    text = own
    for name, words in chain:
        text += f"//@{name}:{words}"
    return text or "转发微博"


class BackgroundMaker:
    """Posts about everyday things unrelated to the incident."""

    def __init__(self, ctx: dict[str, Any], rng: np.random.Generator):
        self.ctx = ctx
        self.rng = rng

    def post(self, topic: str, sentiment: str) -> str:
        rng = self.rng
        spec = BACKGROUND[topic]
        ctx = {**spec["vocab"], **self.ctx}
        text = fill(pick(rng, spec["lines"]), ctx, rng)
        if rng.random() < 0.3:
            text = "#" + fill(pick(rng, spec["hashtags"]), ctx, rng) + "#" + text
        if rng.random() < 0.25:
            text = _end(text, rng) + pick(rng, ["哈哈哈", "好开心", "唉", "冲鸭", "绝了", "笑死", "救命", "爱了"])
        return _decorate(text, sentiment, rng, emoji=0.45)
